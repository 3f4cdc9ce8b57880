"""Shared test helpers: run the real CLI in a subprocess, open bundles."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
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
    """This checkout's irkit; IRKIT_EXECUTABLE=dist/irkit runs the CLI tests against the single
    file instead (docs/onefile.md)."""
    chosen = os.environ.get("IRKIT_EXECUTABLE")
    command = [chosen] if chosen else [sys.executable, "-m", "irkit"]
    return [*command, *map(str, args)]


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


def unprivileged_python() -> str | None:
    """A Python that user nobody can run (pyenv under a 0700 /root cannot be); .ci/run makes one."""
    candidate = os.environ.get("IRKIT_UNPRIV_PYTHON", "/opt/irkit-unpriv/bin/python")
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.access(candidate, os.X_OK):
        return None
    return candidate


needs_unprivileged_python = pytest.mark.skipif(
    unprivileged_python() is None,
    reason="needs root, setpriv and a Python that nobody can run (set IRKIT_UNPRIV_PYTHON)",
)


@pytest.fixture
def nobody_dir() -> Iterator[Path]:
    """A fresh directory user nobody may write into (pytest's own tmp is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="irkit-nobody-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def run_irkit_as_nobody(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[bytes]:
    python = unprivileged_python()
    assert python is not None
    command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", python]
    return subprocess.run(
        [*command, "-m", "irkit", *map(str, args)],
        env=irkit_env(HOME="/nonexistent"),
        capture_output=True,
        timeout=300,
    )


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of `size` mounted on `where` for the test's life; skips when not root or
    when this machine does not allow the mount."""
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MiB filesystem (tmpfs) to fill, far smaller than any machine's RAM; root only."""
    with mounted_tmpfs(tmp_path / "disk", "16m") as where:
        yield where
