"""NumPy references written for operations NumPy does not have as one function.

The conformance kit compares each operation with its reference; dtype rules that
say "as NumPy does" (:func:`ktensor.dtypes.like_numpy`) run them on samples.

Examples:
    >>> import numpy as np
    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, in ``np.exp``'s dtype."""
    return 1 / (1 + np.exp(-x))


def relu(x: np.ndarray) -> np.ndarray:
    """``maximum(x, 0)``."""
    return np.maximum(x, 0)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum."""
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``x - logsumexp(x, axis, keepdims=True)``."""
    return x - logsumexp(x, axis=axis, keepdims=True)
