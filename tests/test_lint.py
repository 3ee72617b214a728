"""ruff's rules (ruff.toml) over the whole tree, so a lint error fails the suite as it fails review.

The process boundary is the point here: ruff is a program, run as a developer or CI would run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def test_the_tree_passes_ruff():
    result = subprocess.run([str(RUFF), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
