"""Run the real ``revbridge`` command in a subprocess, in a temporary working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def revbridge(tmp_path: Path) -> Runner:
    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("REVBRIDGE_")}
        full_env.update({"COLUMNS": "160", "NO_COLOR": "1", **(env or {})})
        return subprocess.run(
            [sys.executable, "-m", "revbridge", *args],
            cwd=cwd or tmp_path, env=full_env, capture_output=True, text=True, timeout=120, check=False,
        )

    return run
