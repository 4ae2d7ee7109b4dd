"""House rules a machine can check: the core never imports the TUI, and the docs match the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_core_library_does_not_import_textual_or_the_tui() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "KEPT" in done.stdout and "BROKEN" not in done.stdout


def test_importing_bpsm_does_not_load_textual() -> None:
    code = (
        "import sys, bpsm, bpsm.cli, bpsm.demo; "
        "assert 'textual' not in sys.modules, 'textual loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
