"""Do the engines agree? Each output against a float64 reference run, and pairwise.

For every output (and gradient) this records the largest absolute difference, the
largest difference relative to the output's scale (its largest magnitude in the
reference), ``max|a - ref| / max|ref|``, which stays meaningful where single elements
are near zero, and the error ``max|a - ref| / max(max|ref|, 1)``: relative for an
output of scale above 1, absolute below (an output that is zero in exact arithmetic,
such as the gradient of a sum of softmax rows, comes out as rounding noise on every
engine). A float output agrees when that error is at most the square root of its
dtype's machine epsilon (float16 3.1e-2, float32 3.5e-4, float64 1.5e-8: half the
digits); integer and bool outputs must be equal. NaN matches NaN and an infinity the
same infinity; a shape that differs never agrees.

Examples:
    >>> import numpy as np
    >>> a = np.array([1.0, 2.0], "float32")
    >>> d = difference(a, np.array([1.0, 2.0001]))
    >>> round(d.max_rel, 6), round(d.error, 6), d.ok
    (5e-05, 5e-05, True)
    >>> difference(a, np.array([1.0, 2.5])).ok
    False
"""

from __future__ import annotations

import math

import attrs
import numpy as np

__all__ = ["Difference", "difference", "tolerance"]


@attrs.define
class Difference:
    """How far one output is from another.

    Attributes:
        output: the output's name (``"out"``, ``"out1"``, ``"d/dw"``, ...).
        max_abs: the largest absolute difference.
        max_rel: ``max_abs`` divided by the other's largest magnitude.
        error: ``max_abs`` divided by the larger of that magnitude and 1.
        tolerance: the largest ``error`` that agrees for this dtype (0: must be equal).
        ok: whether it agrees.
        note: why not, when it is not a number (a shape or dtype kind that differs).
    """

    output: str
    max_abs: float
    max_rel: float
    error: float
    tolerance: float
    ok: bool
    note: str = ""


def tolerance(dtype: np.dtype) -> float:
    """``sqrt(eps)`` of a float dtype, 0 for integers and bools.

    Example:
        >>> round(tolerance(np.dtype("float32")), 6)
        0.000345
    """
    return math.sqrt(float(np.finfo(dtype).eps)) if dtype.kind == "f" else 0.0


def difference(ours: np.ndarray, ref: np.ndarray, output: str = "out") -> Difference:
    """The difference of ``ours`` from ``ref`` (the tolerance is that of ``ours``' dtype)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    tol = tolerance(ours.dtype)
    if ours.shape != ref.shape:
        return Difference(output, math.inf, math.inf, math.inf, tol, False, f"shape {ours.shape} vs {ref.shape}")
    if ours.size == 0:
        return Difference(output, 0.0, 0.0, 0.0, tol, True)
    a, b = ours.astype(np.float64), ref.astype(np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.all(same | finite):
        return Difference(
            output, math.inf, math.inf, math.inf, tol, False, "NaN or infinity where the other has a number"
        )
    gaps = np.where(same, 0.0, np.abs(a - b))
    max_abs = float(gaps.max())
    scale = float(np.abs(np.where(np.isfinite(b), b, 0.0)).max())
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    error = max_abs / max(scale, 1.0)
    return Difference(output, max_abs, max_rel, error, tol, error <= tol)
