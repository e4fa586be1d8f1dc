"""Keras 2 code runs unchanged with ``import ktensor as K`` (API.md §10), on both engines."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ktensor as K

# Keras 2.3's keras.backend signatures of the §10 names that ktensor must keep: the
# parameter names in order, with their defaults.
KERAS2_SIGNATURES: dict[str, str] = {
    "placeholder": "shape=None, ndim=None, dtype=None, name=None",
    "sum": "x, axis=None, keepdims=False",
    "mean": "x, axis=None, keepdims=False",
    "max": "x, axis=None, keepdims=False",
    "min": "x, axis=None, keepdims=False",
    "prod": "x, axis=None, keepdims=False",
    "std": "x, axis=None, keepdims=False",
    "var": "x, axis=None, keepdims=False",
    "any": "x, axis=None, keepdims=False",
    "all": "x, axis=None, keepdims=False",
    "argmax": "x, axis=-1",
    "argmin": "x, axis=-1",
    "concatenate": "tensors, axis=-1",
    "clip": "x, min_value, max_value",
    "pow": "x, a",
    "expand_dims": "x, axis=-1",
    "squeeze": "x, axis",
    "function": "inputs, outputs, updates=None",
    "softmax": "x, axis=-1",
    "reshape": "x, shape",
    "dot": "x, y",
    "maximum": "x, y",
    "minimum": "x, y",
}


def _prefix(fn: object, count: int) -> list[tuple[str, object]]:
    params = list(inspect.signature(fn).parameters.values())[:count]  # type: ignore[arg-type]
    return [(p.name, p.default) for p in params]


@pytest.mark.parametrize("name", sorted(KERAS2_SIGNATURES))
def test_keras2_argument_names_and_defaults(name: str) -> None:
    expected = []
    for item in KERAS2_SIGNATURES[name].split(", "):
        pname, _, default = item.partition("=")
        expected.append((pname, inspect.Parameter.empty if not default else eval(default)))
    got = _prefix(getattr(K, name), len(expected))
    if name == "squeeze":  # Keras requires axis; ktensor also takes None (NumPy's squeeze)
        expected[1] = ("axis", None)
    assert got == expected


def test_calling_form_one_list_of_arrays(kt_in) -> None:
    x = K.placeholder(shape=(None, 2))
    y = K.placeholder(shape=(2,))
    f = K.function([x, y], [x + y])
    a, b = np.ones((1, 2), "float32"), np.arange(2, dtype="float32")
    np.testing.assert_array_equal(f([a, b])[0], a + b)       # Keras 2's form
    np.testing.assert_array_equal(f(a, b)[0], a + b)         # ktensor's form
    g = K.function([x], [x * 2])
    np.testing.assert_array_equal(g([a])[0], a * 2)          # [a] read as one array fails: Keras's form
    np.testing.assert_array_equal(g([[1.0, 2.0]])[0], [[2.0, 4.0]])  # a valid array as it is
    with pytest.raises(TypeError, match="takes 2 argument"):
        f([a])


def test_a_keras2_training_loop(kt_in) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(size=(32, 3)).astype("float32")
    target = data @ np.array([[1.0], [-2.0], [0.5]], "float32")
    x = K.placeholder(shape=(None, 3))
    t = K.placeholder(shape=(None, 1))
    w = K.variable(np.zeros((3, 1)), name="w")
    loss = K.mean(K.square(K.dot(x, w) - t))
    grads = K.gradients(loss, [w])
    train = K.function([x, t], [loss], updates=[(w, w - 0.1 * grads[0])])
    first = train([data, target])[0]
    for _ in range(200):
        last = train([data, target])[0]
    assert last < first * 1e-3
    np.testing.assert_allclose(K.get_value(w).ravel(), [1.0, -2.0, 0.5], atol=1e-2)


def test_the_keras2_page_names_every_keras_backend_name_truthfully() -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "keras2.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (`kt\.(\w+)`|—) \|", page, flags=re.M)
    assert len(rows) >= 150
    for keras_name, spelling, kt_name in rows:
        if spelling == "—":
            assert not hasattr(K, keras_name), f"docs/keras2.md says ktensor lacks {keras_name}, but it has it"
        else:
            assert hasattr(K, kt_name), f"docs/keras2.md promises kt.{kt_name}"
