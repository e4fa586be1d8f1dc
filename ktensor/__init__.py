"""ktensor: write tensor expressions once, run them on Theano (PyTensor) or TensorFlow.

Examples:
    >>> import ktensor as kt
    >>> b, c, d = (kt.placeholder(shape=(2,), name=n) for n in "bcd")
    >>> a = b + c * d.abs()
    >>> kt.function([b, c, d], a)([1.0, 1.0], [2.0, 2.0], [-3.0, 3.0])
    array([7., 7.], dtype=float32)
"""

from ktensor.backends import (
    available_backends,
    backend,
    register_backend,
    set_backend,
    use_backend,
)
from ktensor.backends.base import Backend
from ktensor.config import epsilon, floatx, set_epsilon, set_floatx
from ktensor.function import EngineError, Function
from ktensor.ops import (
    abs,
    all,
    any,
    arange,
    argmax,
    argmin,
    as_tensor,
    astype,
    clip,
    concatenate,
    constant,
    cos,
    dot,
    exp,
    expand_dims,
    eye,
    flatten,
    function,
    gradients,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    ones,
    ones_like,
    placeholder,
    pow,
    prod,
    random_normal,
    random_uniform,
    relu,
    reshape,
    round,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    var,
    variable,
    where,
    zeros,
    zeros_like,
)
from ktensor.tensor import Tensor

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``kt.testing`` loads the conformance kit on first access."""
    if name == "testing":
        import importlib

        return importlib.import_module("ktensor.testing")
    raise AttributeError(f"module 'ktensor' has no attribute {name!r}")

__all__ = [
    "Backend", "EngineError", "Function", "Tensor", "abs", "all", "any", "arange", "argmax",
    "argmin", "as_tensor", "astype", "available_backends", "backend", "clip", "concatenate",
    "constant", "cos", "dot", "epsilon", "exp", "expand_dims", "eye", "flatten", "floatx",
    "function", "gradients", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min",
    "minimum", "ones", "ones_like", "placeholder", "pow", "prod", "random_normal",
    "random_uniform", "register_backend", "relu", "reshape", "round", "set_backend",
    "set_epsilon", "set_floatx", "sigmoid", "sign", "sin", "softmax", "sqrt", "square",
    "squeeze", "stack", "std", "sum", "tanh", "transpose", "use_backend", "var", "variable",
    "where", "zeros", "zeros_like",
]
