"""Shared test helpers: run the real CLI in a subprocess, open bundles."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def irkit_env(**extra: str) -> dict[str, str]:
    """The environment for running this checkout's irkit, whatever is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def irkit_command(*args: str | os.PathLike[str]) -> list[str]:
    return [sys.executable, "-m", "irkit", *map(str, args)]


@pytest.fixture
def run_irkit() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run `irkit ARGS` and return the completed process (stdout/stderr as bytes)."""

    def run(
        *args: str | os.PathLike[str],
        env: dict[str, str] | None = None,
        timeout: float = 300,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            irkit_command(*args),
            capture_output=True,
            env=env or irkit_env(),
            timeout=timeout,
            cwd=cwd,
            check=False,
        )

    return run
