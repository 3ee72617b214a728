"""The layers checked by a tool, not by review: import-linter reads .importlinter and fails when an
import points the wrong way (a lower layer of core/ importing a higher one, core/ importing
streamlit or ui/) or closes a cycle between sibling modules or packages in core/ and ui/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports over the core/ and ui/ under `root`, with no cache (each copy is a new tree)."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / ".importlinter")], cwd=root,
                          env=environment, capture_output=True, text=True, timeout=240)


def test_the_tree_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


# One deliberate breakage per contract: (file, an import added to it, what the report must say).
BREAKAGES = {
    "a lower layer imports a higher one": (
        "core/nn/cells.py", "from core.store import runs",
        "core.nn is not allowed to import core.store"),
    "core imports streamlit": (
        "core/training/trainer.py", "import streamlit",
        "core.training.trainer -> streamlit"),
    "two sibling modules import each other": (
        "core/engine/common.py", "from core.engine import jobs",
        "No cycles are allowed in core.engine"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_breaking_import_is_caught(tmp_path, breakage):
    path, line, report = BREAKAGES[breakage]
    for folder in ("core", "ui"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    broken = tmp_path / path
    text = broken.read_text()
    # After the module's own imports, where a real slip would go.
    anchor = text.index("\nfrom __future__ import annotations\n") + len("\nfrom __future__ import annotations\n")
    broken.write_text(text[:anchor] + line + "  # the deliberate breakage\n" + text[anchor:])
    result = lint(tmp_path)
    assert result.returncode != 0
    assert report in result.stdout, result.stdout


MAX_LINES = 350


def test_no_file_in_core_or_ui_is_above_the_line_limit():
    """Files short enough to read in one sitting; a longer one is a grab bag waiting to be split."""
    long = {str(path.relative_to(ROOT)): count for folder in ("core", "ui") for path in (ROOT / folder).rglob("*.py")
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"
