"""ktensor: write tensor expressions once, run them on Theano (PyTensor) or TensorFlow.

Examples:
    >>> import ktensor as kt
    >>> b, c, d = (kt.placeholder(shape=(2,), name=n) for n in "bcd")
    >>> a = b + c * d.abs()
    >>> kt.function([b, c, d], a)([1.0, 1.0], [2.0, 2.0], [-3.0, 3.0])
    array([7., 7.], dtype=float32)
"""

from ktensor._generated import functions as _functions
from ktensor._generated.functions import *  # noqa: F403 - every declared operation's kt.* function
from ktensor.backends import (
    EngineNotInstalled,
    available_backends,
    backend,
    clear_session,
    register_backend,
    set_backend,
    use_backend,
)
from ktensor.backends.base import Backend
from ktensor.compare import compare
from ktensor.config import epsilon, floatx, set_epsilon, set_floatx
from ktensor.function import EngineError, Function
from ktensor.tensor import Tensor

__version__ = "0.1.0"

# Importing the submodule ktensor.function binds the name to the module; kt.function
# is the operation.
function = _functions.function


def __getattr__(name: str) -> object:
    """``kt.testing`` loads the conformance kit on first access; any other unknown
    name raises ``AttributeError`` with a hint (a Keras 2 name ktensor lacks and what
    to do instead, ktensor's spelling of a NumPy name, or the closest names)."""
    if name == "testing":
        import importlib

        return importlib.import_module("ktensor.testing")
    from ktensor._hints import missing_attribute

    raise missing_attribute(__name__, name, __all__)

__all__ = [
    "Backend",
    "EngineError",
    "EngineNotInstalled",
    "Function",
    "Tensor",
    "available_backends",
    "backend",
    "compare",
    "clear_session",
    "epsilon",
    "floatx",
    "register_backend",
    "set_backend",
    "set_epsilon",
    "set_floatx",
    "use_backend",
    *_functions.__all__,
]
