"""MkDocs hooks of the documentation site (``mkdocs.yml``: ``hooks:``).

* The footer shows ktensor's version, read from the package (one place: ``ktensor.__version__``).
* ``CHANGELOG.md`` (repository root) is also the site's ``changelog.md`` page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]


def package_version() -> str:
    """``ktensor.__version__``, read from the source without importing the package."""
    text = (ROOT / "ktensor" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if match is None:
        raise RuntimeError("ktensor/__init__.py has no __version__ line")
    return match[1]


def on_config(config: Any) -> Any:
    config["copyright"] = f"ktensor {package_version()} · MIT license"
    return config


def on_files(files: Files, config: Any) -> Files:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "changelog.md", content=changelog))
    return files
