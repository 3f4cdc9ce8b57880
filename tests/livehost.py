"""The exit code of a collection of this live machine, which a test does not control.

Even root may be denied reads here (a sandbox's pid 1, a container without CAP_SYS_PTRACE);
irkit then seals the bundle incomplete with exit 3 and names the denied reads (issue 10
point 4). A test of the live host accepts that, and only that, besides what it expects.
"""

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

INCOMPLETE = 3
READS_DENIED = "reads denied: "


def manifest(bundle: Path | bytes) -> dict[str, Any]:
    source = io.BytesIO(bundle) if isinstance(bundle, bytes) else bundle
    with zipfile.ZipFile(source) as archive:
        data: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return data


def assert_live_exit(
    proc: subprocess.CompletedProcess[bytes], bundle: Path | bytes, expected: int = 0
) -> None:
    """`expected`, or 3 with a manifest whose only reason is denied reads."""
    if proc.returncode == INCOMPLETE:
        reason = manifest(bundle)["incomplete_reason"] or ""
        assert reason.startswith(READS_DENIED) and ";" not in reason, reason
        return
    assert proc.returncode == expected, proc.stderr.decode()
