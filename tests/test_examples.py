"""Every script in examples/ runs on a fresh database, never the user's real one; the README shows
the quickstart verbatim."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CATALOGUE, ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BPSM_EXAMPLE_DATABASE_URL": db_url,
        "BPSM_CATALOGUE_PATH": str(CATALOGUE),
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_quickstart_output_tells_the_story(db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BPSM_EXAMPLE_DATABASE_URL": db_url,
        "BPSM_CATALOGUE_PATH": str(CATALOGUE),
    }
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "closed first time right: True" in out
    assert "refused:" in out and "cannot 'reopen' from state 'closed'" in out
    assert "register → accept → resolve → close" in out
    assert "first time right today: 100%" in out


def test_readme_shows_the_quickstart_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert (ROOT / "examples" / "quickstart.py").read_text() in blocks


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_never_write_into_the_users_real_desk_database(
    script: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real" / "desk.sqlite3"  # the user's desk, by setting and by default
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BPSM_EXAMPLE_DATABASE_URL", "BPSM_TEST_DATABASE_URL")
    }
    env.update(
        BPSM_DATABASE_URL=f"sqlite:///{real}",
        XDG_DATA_HOME=str(tmp_path / "data"),
        BPSM_CATALOGUE_PATH=str(CATALOGUE),
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not real.exists() and not (tmp_path / "data").exists()
