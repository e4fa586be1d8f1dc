"""``ktensor compare FILE[:FUNCTION]``: ``kt.compare`` from the command line.

The script is loaded as a module (its ``if __name__ == "__main__":`` block does not
run; its folder goes first on ``sys.path``, so its own imports work). FUNCTION is a
function of the script; without it, the script's ``model``, else its only function
(``inputs`` and ``variables`` aside). The inputs come from ``--inputs`` (shapes and
dtypes: ``256x512:float32 512x10``; random data, seed 0) or else from the script's
``inputs()``, which returns a list (positional) or a dict (by name) of arrays; the
script's ``variables()``, if any, gives the variables the same way.

It prints the table and writes ``DIR/STEM-FUNCTION.json`` and ``.png``.

Examples:
    >>> [a.shape for a in arrays_from_specs(["2x3:float32", "3", "4:int32"])]
    [(2, 3), (3,), (4,)]
    >>> parse_input_spec("256x512:float16")
    ((256, 512), 'float16')
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["arrays_from_specs", "build_parser", "main", "parse_input_spec"]

USAGE_ERROR = 2


class UsageError(Exception):
    """A mistake on the command line; the message is printed, the exit status is 2."""


def parse_input_spec(text: str) -> tuple[tuple[int, ...], str]:
    """``"256x512:float32"`` -> ``((256, 512), "float32")``; the dtype defaults to float32,
    ``"scalar"`` (or nothing before the colon) is a 0-d input."""
    shape_text, _, dtype = text.strip().partition(":")
    dtype = dtype.strip() or "float32"
    try:
        dtype = np.dtype(dtype).name
    except TypeError:
        raise UsageError(f"--inputs {text!r}: unknown dtype {dtype!r}") from None
    shape_text = shape_text.strip().lower()
    if shape_text in ("", "scalar", "()"):
        return (), dtype
    try:
        shape = tuple(int(part) for part in shape_text.replace(",", "x").split("x"))
    except ValueError:
        raise UsageError(f"--inputs {text!r}: a shape is sizes joined by 'x', e.g. 256x512:float32") from None
    if any(size < 0 for size in shape):
        raise UsageError(f"--inputs {text!r}: sizes must be >= 0")
    return shape, dtype


def arrays_from_specs(specs: Sequence[str], seed: int = 0) -> list[np.ndarray]:
    """Random arrays of the given shapes and dtypes: normal floats, integers 0–9, random bools."""
    rng = np.random.default_rng(seed)
    arrays = []
    for text in specs:
        shape, dtype = parse_input_spec(text)
        kind = np.dtype(dtype).kind
        if kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        elif kind in "iu":
            arrays.append(rng.integers(0, 10, shape).astype(dtype))
        elif kind == "b":
            arrays.append(rng.random(shape) < 0.5)
        else:
            raise UsageError(f"--inputs {text!r}: dtype {dtype} is not a bool, integer or float dtype")
    return arrays


def build_parser() -> argparse.ArgumentParser:
    """The ``ktensor compare`` command line."""
    parser = argparse.ArgumentParser(
        prog="ktensor compare",
        description="Compare the engines on a function of your own: build, compile, first result, call time, "
        "agreement with a float64 run.",
    )
    parser.add_argument("target", metavar="FILE[:FUNCTION]", help="a Python script, and a function in it")
    parser.add_argument("--inputs", nargs="+", metavar="SHAPE:DTYPE",
                        help="input shapes and dtypes, e.g. 256x512:float32 512x10 (default: the script's inputs())")
    parser.add_argument("--backends", help="comma list of backends: theano, tensorflow, theano:NUMBA, theano:JAX, "
                        "tensorflow:xla, ... (default: every engine and mode)")
    parser.add_argument("--gradients", action="store_true",
                        help="also time a training step: gradients of the summed outputs w.r.t. the variables")
    parser.add_argument("--batch-axis", type=int, help="leave this axis of every input unknown in the placeholders")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeat", type=int, help="rounds of steady-call samples")
    parser.add_argument("--out", type=Path, default=Path("compare-results"),
                        help="folder for the JSON and PNG (default: ./compare-results)")
    parser.add_argument("--no-plot", action="store_true", help="write no PNG")
    return parser


def _load(path: Path) -> ModuleType:
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    name = "ktensor_compare_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise UsageError(f"{path} failed while loading: {type(error).__name__}: {error}") from error
    return module


def _functions(module: ModuleType) -> list[str]:
    return [
        name for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
    ]


def _pick(module: ModuleType, path: Path, name: str | None) -> tuple[str, Any]:
    found = _functions(module)
    if name is not None:
        value = getattr(module, name, None)
        if not callable(value):
            raise UsageError(f"{path} has no function {name!r}; its functions: {', '.join(found) or 'none'}")
        return name, value
    if "model" in found:
        return "model", module.model
    rest = [n for n in found if n not in ("inputs", "variables")]
    if len(rest) == 1:
        return rest[0], getattr(module, rest[0])
    raise UsageError(f"say which function of {path} to compare (FILE:FUNCTION); its functions: {', '.join(rest) or 'none'}")


def _split_target(target: str) -> tuple[Path, str | None]:
    head, colon, tail = target.rpartition(":")
    if colon and tail.isidentifier() and not Path(target).exists():
        return Path(head), tail
    return Path(target), None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ktensor compare`` with ``argv``; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UsageError as error:
        print(f"ktensor compare: {error}", file=sys.stderr)
        return USAGE_ERROR


def _run(args: argparse.Namespace) -> int:
    import ktensor as kt

    path, name = _split_target(args.target)
    module = _load(path)
    function_name, fn = _pick(module, path, name)
    if args.inputs:
        inputs: Any = arrays_from_specs(args.inputs)
    elif callable(getattr(module, "inputs", None)):
        inputs = module.inputs()
    else:
        raise UsageError(f"give --inputs SHAPE:DTYPE ... or define inputs() in {path}")
    variables = module.variables() if callable(getattr(module, "variables", None)) else None
    backends = [b.strip() for b in args.backends.split(",") if b.strip()] if args.backends else None
    try:
        result = kt.compare(fn, inputs, backends, gradients=args.gradients, variables=variables,
                            batch_axis=args.batch_axis, repeat=args.repeat, quick=args.quick)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from error
    print(result)
    stem = args.out / f"{path.stem}-{function_name}"
    print(f"\nJSON: {result.save(stem.with_suffix('.json'))}")
    if not args.no_plot:
        try:
            print(f"plot: {result.plot(stem.with_suffix('.png'))}")
        except ImportError as error:
            print(f"warning: {error}; no plot written", file=sys.stderr)
    return 0 if any(e.status == "ok" for e in result.entries) else 1
