"""``kt.save_variables`` / ``kt.load_variables``: round trips, all-or-nothing loads, atomic saves."""

from __future__ import annotations

import os
import pathlib
import zipfile
from typing import Any

import numpy as np
import pytest

import ktensor as kt
from ktensor import backends
from tests.conftest import require


def _vars(B: Any, **values: Any) -> list[Any]:
    return [kt.variable(v, dtype=np.asarray(v).dtype.name, name=n, backend=B) for n, v in values.items()]


def _files(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_round_trip(B: Any, tmp_path: pathlib.Path) -> None:
    values = {
        "w": np.arange(6, dtype="float32").reshape(2, 3),
        "b": np.array(7, dtype="int64"),
        "m": np.array([True, False]),
        "h": np.array([1.5, -2.0], dtype="float16"),
        "u": np.array([2**63 + 1], dtype="uint64"),
    }
    vs = _vars(B, **values)
    kt.save_variables(str(tmp_path / "weights.npz"), vs)
    for v in vs:
        v.set_value(np.zeros(v.shape, v.dtype))
    kt.load_variables(tmp_path / "weights.npz", vs)
    for v in vs:
        got = v.get_value()
        assert got.dtype == values[v.name].dtype and got.shape == values[v.name].shape
        np.testing.assert_array_equal(got, values[v.name])
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as f:
        assert sorted(f.files) == sorted(values)
        np.testing.assert_array_equal(f["w"], values["w"])
    assert _files(tmp_path) == ["weights.npz"]


def test_npz_is_appended_like_np_savez(B: Any, tmp_path: pathlib.Path) -> None:
    (v,) = _vars(B, v=np.array([1.0, 2.0], "float32"))
    kt.save_variables(tmp_path / "w", [v])
    assert _files(tmp_path) == ["w.npz"]
    v.set_value([0.0, 0.0])
    kt.load_variables(tmp_path / "w", [v])  # the same rule on load
    np.testing.assert_array_equal(v.get_value(), [1.0, 2.0])
    kt.load_variables(str(tmp_path / "w.npz"), [v])
    kt.save_variables(tmp_path / "w", [v])  # overwrites
    assert _files(tmp_path) == ["w.npz"]


def test_backend_method_and_file_readable_by_np_savez_loader(B: Any, tmp_path: pathlib.Path) -> None:
    np.savez(tmp_path / "np.npz", v=np.array([3.0, 4.0], "float32"))
    (v,) = _vars(B, v=np.array([1.0, 2.0], "float32"))
    B.load_variables(tmp_path / "np.npz", [v])
    np.testing.assert_array_equal(v.get_value(), [3.0, 4.0])


def test_names_that_are_np_savez_parameters(B: Any, tmp_path: pathlib.Path) -> None:
    vs = _vars(B, file=np.array([1.0]), allow_pickle=np.array([2.0]))
    kt.save_variables(tmp_path / "w.npz", vs)
    for v in vs:
        v.set_value([0.0])
    kt.load_variables(tmp_path / "w.npz", vs)
    assert [float(v.get_value()[0]) for v in vs] == [1.0, 2.0]


@pytest.mark.parametrize("direction", [("theano", "tensorflow"), ("tensorflow", "theano")])
def test_cross_engine(direction: tuple[str, str], tmp_path: pathlib.Path) -> None:
    require("pytensor")
    require("tensorflow")
    make = {"theano": backends.TheanoBackend, "tensorflow": backends.TensorFlowBackend}
    src, dst = make[direction[0]](), make[direction[1]]()
    values = {"w": np.array([[1.0, 2.0]], "float32"), "n": np.array([3, 4], "int32"), "s": np.array(0.5)}
    kt.save_variables(tmp_path / "w.npz", _vars(src, **values))
    targets = [kt.variable(np.zeros_like(v), dtype=v.dtype.name, name=n, backend=dst) for n, v in values.items()]
    kt.load_variables(tmp_path / "w.npz", targets)
    for t in targets:
        assert t.get_value().dtype == values[str(t.name)].dtype
        np.testing.assert_array_equal(t.get_value(), values[str(t.name)])


@pytest.mark.parametrize(
    "case, message",
    [
        ("shape", "has shape (3,); variable 'b' expects (2,)"),
        ("dtype", "has dtype float64; variable 'b' expects float32"),
        ("missing", "has no entry for variable 'b'"),
    ],
)
def test_load_is_all_or_nothing(B: Any, tmp_path: pathlib.Path, case: str, message: str) -> None:
    saved: dict[str, Any] = {"a": np.array([1.0, 2.0], "float32"), "b": np.array([3.0, 4.0], "float32"), "c": np.array([5.0], "float32")}
    if case == "shape":
        saved["b"] = np.array([3.0, 4.0, 5.0], "float32")
    elif case == "dtype":
        saved["b"] = np.array([3.0, 4.0], "float64")
    else:
        del saved["b"]
    np.savez(tmp_path / "w.npz", **saved)
    vs = _vars(B, a=np.array([0.0, 0.0], "float32"), b=np.array([0.0, 0.0], "float32"), c=np.array([0.0], "float32"))
    with pytest.raises(ValueError, match="ktensor: load_variables: ") as info:
        kt.load_variables(tmp_path / "w.npz", vs)
    assert message in str(info.value)
    for v in vs:  # 'a' comes before the bad entry and is unchanged too
        np.testing.assert_array_equal(v.get_value(), np.zeros(v.shape, v.dtype))


def test_extra_entries_are_ignored(B: Any, tmp_path: pathlib.Path) -> None:
    np.savez(tmp_path / "w.npz", a=np.array([1.0], "float32"), other=np.array([9, 9]))
    (a,) = _vars(B, a=np.array([0.0], "float32"))
    kt.load_variables(tmp_path / "w.npz", [a])
    np.testing.assert_array_equal(a.get_value(), [1.0])


@pytest.mark.parametrize("fn", ["save_variables", "load_variables"])
def test_names_are_required_and_unique(B: Any, tmp_path: pathlib.Path, fn: str) -> None:
    np.savez(tmp_path / "w.npz", x=np.array([1.0], "float32"))
    call = getattr(kt, fn)
    x1, x2 = _vars(B, x=np.array([0.0], "float32"), y=np.array([0.0], "float32"))
    x2b = kt.variable(np.array([0.0], "float32"), name="x", backend=B)
    with pytest.raises(ValueError, match=rf"ktensor: {fn}: variables\[0\] and variables\[2\] share the name 'x'"):
        call(tmp_path / "w.npz", [x1, x2, x2b])
    unnamed = kt.variable(np.array([0.0], "float32"), backend=B)
    with pytest.raises(ValueError, match=rf"ktensor: {fn}: variables\[1\] .*has no name"):
        call(tmp_path / "w.npz", [x1, unnamed])
    with pytest.raises(TypeError, match=rf"ktensor: {fn}: variables\[0\] must be a variable"):
        call(tmp_path / "w.npz", [kt.constant([1.0], backend=B)])
    with pytest.raises(TypeError, match=rf"ktensor: {fn}: variables must be a list"):
        call(tmp_path / "w.npz", x1)
    with pytest.raises(TypeError, match=rf"ktensor: {fn}: path must be a str or os.PathLike"):
        call(3, [x1])
    np.testing.assert_array_equal(x1.get_value(), [0.0])
    with np.load(tmp_path / "w.npz") as f:  # a refused save leaves the file alone
        assert f.files == ["x"]
    assert _files(tmp_path) == ["w.npz"]


def test_save_is_atomic(B: Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = _vars(B, a=np.array([1.0], "float32"), b=np.array([2.0], "float32"))
    target = tmp_path / "w.npz"
    kt.save_variables(target, [a, b])
    before = target.read_bytes()
    a.set_value([10.0])
    b.set_value([20.0])
    real = np.lib.format.write_array
    calls = []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # midway: after the first entry was written
            raise KeyboardInterrupt("interrupted")
        real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(KeyboardInterrupt):
        kt.save_variables(target, [a, b])
    assert len(calls) == 2
    assert target.read_bytes() == before
    assert _files(tmp_path) == ["w.npz"]
    monkeypatch.setattr(np.lib.format, "write_array", real)
    kt.load_variables(target, [a, b])
    assert (float(a.get_value()[0]), float(b.get_value()[0])) == (1.0, 2.0)


def test_failed_replace_leaves_no_temporary(B: Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (a,) = _vars(B, a=np.array([1.0], "float32"))

    def failing(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="disk full"):
        kt.save_variables(tmp_path / "w.npz", [a])
    assert _files(tmp_path) == []


def test_saved_file_has_ordinary_permissions(B: Any, tmp_path: pathlib.Path) -> None:
    (a,) = _vars(B, a=np.array([1.0], "float32"))
    kt.save_variables(tmp_path / "w.npz", [a])
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "w.npz").stat().st_mode & 0o777 == 0o666 & ~mask


def test_pickle_bearing_npz_is_refused(B: Any, tmp_path: pathlib.Path) -> None:
    np.savez(tmp_path / "evil.npz", a=np.array([{"x": 1}], dtype=object), b=np.array([1.0], "float32"))
    a, b = _vars(B, a=np.array([0.0], "float32"), b=np.array([0.0], "float32"))
    with pytest.raises(ValueError, match="ktensor: load_variables: cannot read entry 'a'"):
        kt.load_variables(tmp_path / "evil.npz", [b, a])
    assert float(b.get_value()[0]) == 0.0


def test_unreadable_files(B: Any, tmp_path: pathlib.Path) -> None:
    (a,) = _vars(B, a=np.array([0.0], "float32"))
    with pytest.raises(FileNotFoundError):
        kt.load_variables(tmp_path / "absent.npz", [a])
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="ktensor: load_variables: cannot read"):
        kt.load_variables(tmp_path / "junk.npz", [a])
    with zipfile.ZipFile(tmp_path / "odd.npz", "w") as z:
        z.writestr("a.npy", b"garbage")
    with pytest.raises(ValueError, match="ktensor: load_variables: cannot read entry 'a'"):
        kt.load_variables(tmp_path / "odd.npz", [a])
