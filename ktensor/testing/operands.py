"""The kit's operands: deterministic sample arrays and the placeholders fed with them."""

from __future__ import annotations

import zlib
from typing import Any

import attrs
import numpy as np

import ktensor as kt
from ktensor.testing.cases import FLOATX


def _sample(dtype: np.dtype[Any], shape: tuple[int, ...], kind: str, rng: np.random.Generator) -> np.ndarray:
    """Draws a deterministic array of ``kind`` values valid for ``dtype``.

    Float values are multiples of 1/4, so that floor division, modulo and
    rounding have no representation-dependent ties.
    """
    size = int(np.prod(shape))
    signed = dtype.kind in "if"
    if kind == "extreme":
        if dtype.kind == "f":
            info = np.finfo(dtype)
            edges: list[Any] = [np.nan, np.inf, -np.inf, -0.0, float(info.max), float(info.tiny)]
        elif dtype.kind in "iu":
            bounds = np.iinfo(dtype)
            edges = [int(bounds.min), int(bounds.max), 0, 1, int(bounds.max) - 1, int(bounds.max) // 2 + 1]
        else:
            edges = [True, False, True, False, False, True]
        return rng.permutation(np.resize(np.array(edges, dtype=dtype), size)).reshape(shape)
    if kind.startswith("grad"):
        # Smooth points for finite differences: off the grid, away from kinks at 0.
        low = 0.5 if kind == "grad positive" else -2.0
        magnitudes = rng.uniform(0.25 if low < 0 else low, 2.0, size)
        signs = rng.choice([-1.0, 1.0], size) if low < 0 else 1.0
        return np.asarray(magnitudes * signs).astype(dtype).reshape(shape)
    if kind == "distinct":
        values: np.ndarray = rng.permutation(size) - (size // 2 if signed else 0)
    elif kind == "index":
        values = rng.integers(-3, 3, size)
    elif dtype.kind == "b":
        values = np.ones(size, bool) if kind == "positive" else rng.random(size) < 0.5
    elif kind == "positive":
        values = rng.integers(1, 13, size) / 4 if dtype.kind == "f" else rng.integers(1, 5, size)
    elif kind == "small":
        values = rng.integers(0, 16, size) / 4 if dtype.kind == "f" else rng.integers(0, 4, size)
    elif kind == "unit":
        values = (
            rng.integers(2, 7, size) / 4
            if dtype.kind == "f"
            else rng.choice([-1, 1, 2] if signed else [1, 2], size)
        )
    elif kind == "halves":
        values = (
            rng.integers(-6, 7, size) / 2 if dtype.kind == "f" else rng.integers(-4 if signed else 0, 5, size)
        )
    elif kind == "open unit":  # inside (-1, 1) for floats (arcsin, arctanh); -1, 0, 1 for integers
        values = rng.integers(-3, 4, size) / 4 if dtype.kind == "f" else rng.integers(-1 if signed else 0, 2, size)
    else:  # "any"
        values = (
            rng.integers(-12, 13, size) / 4
            if dtype.kind == "f"
            else rng.integers(-4, 5, size)
            if signed
            else rng.integers(0, 9, size)
        )
    return np.asarray(values).astype(dtype).reshape(shape)


@attrs.define
class _Operands:
    """The placeholders and arrays of one check, shared by all cases that fit."""

    backend: Any
    arrays: dict[tuple[str, tuple[int, ...], str, int], np.ndarray] = attrs.field(factory=dict)
    placeholders: dict[tuple[tuple[str, tuple[int, ...], str, int], bool], Any] = attrs.field(factory=dict)
    feeds: dict[Any, np.ndarray] = attrs.field(factory=dict)

    def array(self, key: tuple[str, tuple[int, ...], str, int]) -> np.ndarray:
        """The array of operand ``key`` = (dtype token, shape, value kind, slot)."""
        if key not in self.arrays:
            token, shape, kind, _ = key
            rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
            self.arrays[key] = _sample(np.dtype(kt.floatx() if token == FLOATX else token), shape, kind, rng)
        return self.arrays[key]

    def placeholder(self, key: tuple[str, tuple[int, ...], str, int], static: bool) -> Any:
        """The placeholder fed with :meth:`array` of ``key``, of known shape if ``static``."""
        if (key, static) not in self.placeholders:
            token, shape, _, _ = key
            dtype = None if token == FLOATX else token
            name = f"in{len(self.placeholders)}"
            if static:
                p = kt.placeholder(shape=shape, dtype=dtype, name=name, backend=self.backend)
            else:
                p = kt.placeholder(ndim=len(shape), dtype=dtype, name=name, backend=self.backend)
            self.placeholders[key, static] = p
            self.feeds[p] = self.array(key)
        return self.placeholders[key, static]

