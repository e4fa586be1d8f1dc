"""The ``Backend`` abstract base class: the engine primitives and every operation.

``Backend`` is short: it inherits the primitives and rules of
:class:`~ktensor.backends.core.Core` and one class of operations per family of
:mod:`ktensor.ops`. A backend has two layers:

* **Engine primitives** (abstract, named ``native_*``): take and return the
  engine's own symbols, and only do what truly differs per engine — one
  elementwise kernel table, reductions, slicing, gradients, compiling. Their
  operands always arrive already cast to one dtype; they never promote.
* **Operations** (concrete, named like NumPy: ``add``, ``exp``, ``sum``,
  ``softmax``, ...): take tensors or Python/NumPy operands and return a
  ``Tensor``. They apply ktensor's rules in one place — operand conversion,
  the dtype rule of :mod:`ktensor.dtypes`, the static shape checks of
  :mod:`ktensor.shapes` — then call a primitive. Compositions (``mean``, ``var``,
  ``softmax``, ``logsumexp``, ``relu``, ``clip``, ``dot``, ...) are built from
  other operations through ``self``, so overriding ``exp`` in a subclass changes
  ``softmax`` too, and overriding ``multiply`` changes ``a * b``.

Examples:
    >>> import ktensor as kt
    >>> from ktensor.backends import TensorFlowBackend
    >>> class Counting(TensorFlowBackend):
    ...     calls = 0
    ...     def multiply(self, x, y):
    ...         self.calls += 1
    ...         return super().multiply(x, y)
    >>> b = Counting()
    >>> x = kt.constant([1.0, 2.0], backend=b)
    >>> (x * 3).eval()
    array([3., 6.], dtype=float32)
    >>> b.calls
    1
"""

from __future__ import annotations

from ktensor.backends.core import CompiledCall, Core, Native
from ktensor.ops.autodiff import AutodiffOps
from ktensor.ops.control import ControlOps
from ktensor.ops.creation import CreationOps
from ktensor.ops.gathering import GatherOps
from ktensor.ops.linalg import LinalgOps
from ktensor.ops.logic import LogicOps
from ktensor.ops.math import MathOps
from ktensor.ops.nn.activations import ActivationOps
from ktensor.ops.nn.conv import ConvOps
from ktensor.ops.nn.ctc import CTCOps
from ktensor.ops.nn.local import LocalOps
from ktensor.ops.nn.losses import LossOps
from ktensor.ops.nn.normalization import NormalizationOps
from ktensor.ops.nn.pooling import PoolOps
from ktensor.ops.nn.recurrent import RecurrentOps
from ktensor.ops.reductions import ReductionOps
from ktensor.ops.scans import ScanOps
from ktensor.ops.shape import ShapeOps
from ktensor.ops.storage import StorageOps
from ktensor.ops.variables import VariableOps

__all__ = ["Backend", "CompiledCall", "Core", "Native"]


class Backend(
    ActivationOps,
    NormalizationOps,
    LocalOps,
    RecurrentOps,
    ConvOps,
    PoolOps,
    LossOps,
    CTCOps,
    AutodiffOps,
    ControlOps,
    StorageOps,
    VariableOps,
    CreationOps,
    GatherOps,
    LinalgOps,
    ShapeOps,
    ReductionOps,
    ScanOps,
    LogicOps,
    MathOps,
):
    """Carries out every ktensor operation on one engine.

    Subclass an engine backend and override any operation (``multiply``, ``exp``,
    ``softmax``, ...) or primitive (``native_*``) to experiment; every operator and
    method of the tensors it builds goes through these methods.
    """
