"""Issue 10, points 2 and 16: SIGINT, SIGTERM and SIGKILL at random points of real runs.

Whatever the moment, a file under the final name is a sealed, intact bundle. After SIGINT or
SIGTERM (sent once the bundle is being written) the bundle is sealed under its final name:
complete: false with exit 3, or complete with exit 0/1 when the signal came after the seal.
After SIGKILL nothing unsealed carries the final name (what was written is OUT.partial).
Twenty trials per signal, a quarter of them `triage` (hunts, analysis, report), run four at a
time; the seed of each trial is in its failure message. Points are taken from what the run
has reached (OUT.partial exists), not from the clock alone, so a loaded machine shifts them
without breaking the test.
"""

import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import irkit_command, irkit_env
from tests.hostile.writer_helpers import (
    PLAYBOOK,
    assert_sealed,
    collect_args,
    encryption,
    fixture_host,
    partial_of,
    triage_args,
)

TRIALS = 20
PARALLEL = 4
EARLY_KILLS = 0.25
"""The share of SIGKILLs sent during start-up, before OUT.partial exists."""
SIGNAL_WITHIN = 0.5
"""Other signals land up to this long after OUT.partial appears: mid-collection, during the
hunts, the report or the seal, or after the run (a run takes about that long from there)."""


@dataclass
class Trial:
    seed: int
    signum: int
    command: list[str]
    out: Path
    returncode: int = 0
    sent: bool = False
    stderr: str = ""
    encrypted: bool = False

    def describe(self) -> str:
        name = signal.Signals(self.signum).name
        head = f"trial seed={self.seed} {name} {self.command[0]} rc={self.returncode}"
        return f"{head}\n{self.stderr}"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("signals")
    root, proc = fixture_host(base, blobs=3, blob_size=256 << 10)
    playbook = base / "playbook.yaml"
    playbook.write_text(PLAYBOOK)
    return root, proc, playbook


def run_trial(trial: Trial) -> Trial:
    pace = random.Random(trial.seed)
    child = subprocess.Popen(
        irkit_command(*trial.command),
        env=irkit_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if trial.signum == signal.SIGKILL and pace.random() < EARLY_KILLS:
        time.sleep(pace.uniform(0, 0.3))
    else:
        while not partial_of(trial.out).exists() and child.poll() is None:
            time.sleep(0.005)
        time.sleep(pace.uniform(0, SIGNAL_WITHIN))
    if child.poll() is None:
        child.send_signal(trial.signum)
        trial.sent = True
    _, stderr = child.communicate(timeout=120)
    trial.returncode = child.returncode
    trial.stderr = stderr.decode(errors="replace")
    return trial


def check(trial: Trial) -> None:
    out = trial.out
    assert "Traceback" not in trial.stderr, trial.describe()
    if out.exists():
        sealed = assert_sealed(out, trial.encrypted)
        assert not partial_of(out).exists(), trial.describe()
    if trial.signum == signal.SIGKILL:
        assert trial.returncode in (-signal.SIGKILL, 0, 1), trial.describe()
        if trial.returncode != -signal.SIGKILL:
            assert out.exists(), trial.describe()
        return
    assert trial.returncode in (0, 1, 3), trial.describe()
    assert out.exists(), trial.describe()
    if trial.returncode == 3:
        assert sealed["complete"] is False, trial.describe()
        assert signal.Signals(trial.signum).name in sealed["incomplete_reason"], trial.describe()
    else:
        assert sealed["complete"] is True, trial.describe()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_signals_at_random_points_never_leave_a_torn_final_bundle(
    tmp_path: Path, host: tuple[Path, Path, Path], signum: int
) -> None:
    root, proc, playbook = host
    trials = []
    for n in range(TRIALS):
        out = tmp_path / f"t{n}" / "case.zip"
        out.parent.mkdir()
        encrypted = n % 4 == 2  # the age thread between the zip and the output
        command = (
            triage_args(out, root, proc, playbook)
            if n % 4 == 0
            else collect_args(out, root, proc, *encryption(encrypted))
        )
        seed = signum * 1000 + n
        trials.append(Trial(seed, signum, command, out, encrypted=encrypted))
    with ThreadPoolExecutor(PARALLEL) as pool:
        done = list(pool.map(run_trial, trials))
    for trial in done:
        check(trial)
    stopped = [t for t in done if t.returncode in (3, -signal.SIGKILL)]
    assert stopped, "no trial was stopped mid-run: the random points missed every run"
