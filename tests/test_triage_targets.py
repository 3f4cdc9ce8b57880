"""The persistence hunt's targets: every file a persistence entry names that is on the host,
whatever missing folders the entries name before it (a missing folder is resolved once)."""

import json
import zipfile
from pathlib import Path

from hostfixtures import write_tree
from livehost import assert_live_exit

CRONTAB = "".join(
    f"* * * * * root {command}\n"
    for command in (
        "/opt/gone/a",
        "/opt/gone/b --x",
        "/opt/tools/run --x",
        "/opt/tools/gone",
        "/opt/gone/../tools/other",
        "/opt/tools/run/not-a-folder",
        "/opt/tools/last",
    )
)


def test_each_named_file_on_the_host_is_scanned_once(tmp_path: Path, run_irkit) -> None:
    root = write_tree(
        tmp_path / "root",
        {
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/crontab": CRONTAB,
            "opt/tools/run": "#!/bin/sh\n",
            "opt/tools/other": "#!/bin/sh\n",
            "opt/tools/last": "#!/bin/sh\n",
        },
    )
    procfs = tmp_path / "proc"
    procfs.mkdir()
    out = tmp_path / "t.zip"
    proc = run_irkit("triage", "-q", "--root", root, "--proc", procfs, "-o", out, timeout=600)
    assert_live_exit(proc, out, 0)
    with zipfile.ZipFile(out) as bundle:
        log = [json.loads(line) for line in bundle.read("collection.log").splitlines()]
    hunts = [e for e in log if e.get("step") == "hunt" and "targets_scanned" in str(e)]
    scanned = {e["detail"]["hunt"]: e["detail"]["targets_scanned"] for e in hunts if "detail" in e}
    # /etc/crontab, /opt/tools/run and /opt/tools/last; `..` is resolved on the host, and
    # /opt/gone/.. is not there (as before folders were remembered missing).
    assert scanned.get("persistence-targets") == 3, hunts
