"""``python -m benchmarks``: the engine comparison suite (see benchmarks/run.py)."""

import sys

from benchmarks.run import main

sys.exit(main())
