"""The documentation site (``mkdocs.yml``) builds strictly and documents every public name.

``mkdocs build --strict`` fails on any warning: a page left out of the nav, a link to a
missing page or anchor, a ``:::`` name mkdocstrings cannot collect, a cross-reference it
cannot resolve, a docstring griffe cannot read. The site is built once per test session
into a temporary folder. The docs extra (``scripts/setup.sh`` installs it) brings MkDocs:
in CI (``CI`` or ``KTENSOR_REQUIRE_BACKENDS`` set) a missing MkDocs fails; elsewhere the
tests skip.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ktensor as kt
from ktensor import _codegen
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]
BUILD_BUDGET_S = 120


def _mkdocs() -> list[str]:
    for module in ("material", "mkdocs", "mkdocstrings"):  # the docs extra (scripts/setup.sh installs it)
        require(module)
    return [sys.executable, "-m", "mkdocs"]


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [*_mkdocs(), "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    proc = _build(ROOT / "mkdocs.yml", out)
    took = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert took < BUILD_BUDGET_S, f"the site took {took:.0f} s to build"
    return out


def _text(page: Path) -> str:
    """The visible text of a built page's article, tags dropped."""
    source = page.read_text(encoding="utf-8")
    article = source[source.find("<article"):source.find("</article>")]
    return html.unescape(re.sub(r"<[^>]+>", "", article))


def _reference_text(site: Path) -> str:
    return "\n".join(_text(p) for p in sorted((site / "reference").rglob("index.html")))


def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").exists()
    for page in ["backends", "subclassing", "operations", "keras2", "nn", "examples", "benchmarks",
                 "changelog", "reference", "reference/contract", "reference/testing"]:
        assert (site / page / "index.html").exists(), page


def test_every_public_name_is_in_the_reference_with_its_signature(site: Path) -> None:
    text = _reference_text(site)
    headings = set(re.findall(r'id="(ktensor\.[\w.]+)"', "\n".join(
        p.read_text(encoding="utf-8") for p in (site / "reference").rglob("index.html"))))
    missing = [name for name in kt.__all__ if _codegen._operation_path(name) not in headings]
    assert not missing, f"not in the built reference: {missing}"
    # signatures with their types, and the docstring examples, really rendered
    assert "add(x: Operand, y: Operand) -> Tensor" in text
    assert re.search(r"placeholder\(\s*shape: Sequence\[int \| None\] \| None = None,", text)
    assert ">>> kt.add([1, 2], 0.5).eval()" in text
    assert "function(\n    inputs:" in text or re.search(r"function\(\s*inputs", text)


def test_every_operation_family_page_says_how_each_operation_runs(site: Path) -> None:
    from ktensor.ops.declare import OPS

    math = _text(site / "reference" / "ops" / "math" / "index.html")
    assert "engine kernel exp" in math and "composition of maximum, minimum" in math
    contract = _text(site / "reference" / "contract" / "index.html")
    for primitive in ("native_elementwise", "native_scan", "native_compile"):
        assert primitive in contract
    assert "native_scan(" in contract  # the primitives rendered with their signatures
    kinds = {_codegen._how_it_runs(name)[0] for name in OPS}
    assert kinds == {"kernel", "primitive", "composition", "alias"}


def test_the_testing_kit_is_in_the_reference(site: Path) -> None:
    text = _text(site / "reference" / "testing" / "index.html")
    assert re.search(r"check_backend\(\s*backend", text)
    assert "ConformanceError" in text and "CheckReport" in text


def test_the_plots_are_shown_as_images(site: Path) -> None:
    """Every docs/*.png is an image of some page; the benchmark plots of the benchmarks page."""
    pages = {p: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}
    for plot in sorted((ROOT / "docs").glob("*.png")):
        assert (site / plot.name).exists()
        shown = re.compile(rf'<img [^>]*src="\.\./{re.escape(plot.name)}"')
        assert any(shown.search(text) for text in pages.values()), f"{plot.name} is not shown on any page"
    benchmarks = pages[site / "benchmarks" / "index.html"]
    for plot in sorted((ROOT / "docs").glob("benchmarks-*.png")):
        assert f'src="../{plot.name}"' in benchmarks, f"{plot.name} is not on the benchmarks page"


def test_the_site_shows_the_package_version(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    assert f"ktensor {kt.__version__}" in page
    setup_version = re.search(r"^version = attr: ktensor.__version__$", (ROOT / "setup.cfg").read_text(), re.M)
    assert setup_version, "setup.cfg no longer reads the version from ktensor.__version__"


def test_the_changelog_is_a_page_and_names_the_version(site: Path) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(kt.__version__)}\]", changelog, re.M)
    assert "## [Unreleased]" in changelog
    assert f"[{kt.__version__}]" in _text(site / "changelog" / "index.html")


def test_every_docs_page_is_in_the_nav() -> None:
    """``validation: omitted_files: warn`` makes a page outside the nav fail the strict
    build; this says which one without building."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:"):]
    listed = set(re.findall(r"([\w/.-]+\.md)\s*$", nav, re.M))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages <= listed, f"pages not in mkdocs.yml's nav: {sorted(pages - listed)}"
    assert listed - pages <= {"changelog.md"}, f"nav entries without a page: {sorted(listed - pages - {'changelog.md'})}"


def test_the_reference_pages_are_generated_from_the_declarations() -> None:
    pages = _codegen.reference_pages()
    on_disk = {p.relative_to(ROOT / "docs" / "reference").as_posix() for p in (ROOT / "docs" / "reference").rglob("*.md")}
    assert on_disk == set(pages), "docs/reference/ is stale: run python -m ktensor._codegen"
    for path, text in pages.items():
        assert (ROOT / "docs" / "reference" / path).read_text(encoding="utf-8") == text, path


def test_a_broken_reference_fails_the_strict_build(tmp_path: Path) -> None:
    """The build test can fail: a ``:::`` name that does not exist aborts the build."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Broken\n\n::: ktensor.no_such_name\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: broken\n"
        f"docs_dir: {docs}\n"
        "plugins:\n  - mkdocstrings:\n      handlers:\n        python:\n"
        f"          paths: [{ROOT}]\n",
        encoding="utf-8",
    )
    proc = _build(config, tmp_path / "site")
    assert proc.returncode != 0
    assert "ktensor.no_such_name" in proc.stdout + proc.stderr


def test_the_readme_and_docs_links_resolve_in_the_repository() -> None:
    """Relative links of README.md and docs/**/*.md name files that exist (on GitHub and in a
    clone, not only in the built site), and none leaves the repository."""
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists() or ROOT not in path.parents:
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/docs.sh" in readme and "--serve" in readme
    assert "(docs/reference/index.md)" in readme
