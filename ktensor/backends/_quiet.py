"""Keep engines' start-up log lines off the user's terminal.

TensorFlow's C++ runtime writes oneDNN, CUDA-probe and absl lines straight to
file descriptor 2 at import and at the first session, where Python's logging
cannot reach them. Unless the user chose a verbosity (``TF_CPP_MIN_LOG_LEVEL``
set), those moments run with fd 2 pointed at a temporary file; if they fail,
what was captured is written back so nothing that explains an error is lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator


def _tf_verbosity_chosen() -> bool:
    """Whether the user asked TensorFlow for its logs (``TF_CPP_MIN_LOG_LEVEL`` below 3).
    ``import jax`` sets the variable to 1 when it is unset: that is not the user's choice."""
    value = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip()
    if value in ("", "3"):
        return False
    return not (value == "1" and "jax" in sys.modules)


#: Read when ``ktensor.backends`` is imported, before ktensor itself imports jax.
TF_VERBOSITY_CHOSEN = _tf_verbosity_chosen()


@contextlib.contextmanager
def engine_stderr_silenced(enabled: bool = True) -> Iterator[None]:
    """Send fd 2 to a temporary file inside the block; replay it if the block raises."""
    if not enabled:
        yield
        return
    with _FD2_LOCK:  # fd 2 is process-wide: one swap at a time
        yield from _silenced()


_FD2_LOCK = threading.RLock()


def _silenced() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
