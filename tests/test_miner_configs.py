"""Miner configs and the commands that start miners with them (docs/iocs.md, "Configs").

Each config shape has a fixture in tests/fixtures/minerconfigs/ (synthetic wallets, made-up
pools) and a `.corrupt` twin (cut, bytes flipped, keys broken, nested 5,000 deep); a benign
twin (a web app's config.json with `url` and `user`) is no miner config. The readers run on a
real bundle writer over a fixture root.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile.fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from minersample import synthetic_monero_wallet

from irkit.analysis.iocs import iocs_from_config
from irkit.analysis.launches import (
    BESIDE_FILE,
    BESIDE_PROGRAM,
    COPIED_BY,
    MOUNTED_BY,
    assignment,
    expand,
    file_configs,
    launched_configs,
)
from irkit.analysis.startfiles import (
    NAMED,
    is_miner_config,
    process_configs,
    started_config_iocs,
)
from irkit.collectors.base import Context
from irkit.evidence.writer import EvidenceWriter
from irkit.interrupts import InterruptGuard
from irkit.startedfiles import started_configs

FIXTURES = Path(__file__).parent / "fixtures" / "minerconfigs"
W1, W2 = synthetic_monero_wallet(31), synthetic_monero_wallet(32)
"""The fixtures' wallets (valid checksums, nobody's keys)."""
ETH = "0x" + "ab" * 20

EXPECTED: dict[str, set[tuple[str, str]]] = {
    "xmrig.json": {("pool-host", "pool.fixture.test:443"), ("wallet", W1),
                   ("worker", "fixrig"), ("algorithm", "rx/0")},
    "trex.json": {("pool-url", "stratum+tcp://rvn.fixture.test:8888"), ("wallet", ETH),
                  ("worker", "gpurig"), ("algorithm", "kawpow")},
    "srbminer.json": {("pool-url", "stratum+tcps://yp.fixture.test:6234"), ("wallet", W2),
                      ("worker", "srbrig"), ("algorithm", "yespower")},
    "bzminer.json": {("pool-host", "kas.fixture.test:5555"),
                     ("pool-host", "kas2.fixture.test:5555"), ("wallet", ETH),
                     ("worker", "bzrig"), ("algorithm", "kaspa")},
    "nanominer.ini": {("pool-host", "xmr.fixture.test:10300"),
                      ("pool-host", "xmr2.fixture.test:10300"), ("wallet", W1),
                      ("worker", "nanorig"), ("algorithm", "RandomX")},
}  # fmt: skip
CORRUPT_KEEPS: dict[str, set[tuple[str, str]]] = {
    "xmrig.json.corrupt": {("pool-host", "pool.fixture.test:443")},
    "trex.json.corrupt": {("pool-host", "rvn.fixture.test:8888"), ("wallet", ETH)},
    "srbminer.json.corrupt": {("pool-host", "yp.fixture.test:6234"), ("wallet", W2)},
    "bzminer.json.corrupt": {("pool-host", "kas.fixture.test:5555"), ("wallet", ETH)},
    "nanominer.ini.corrupt": {("pool-host", "xmr.fixture.test:10300"), ("wallet", W1)},
}


def found_in(name: str) -> set[tuple[str, str]]:
    text = (FIXTURES / name).read_bytes().decode("utf-8", "surrogateescape")
    return {(i.ioc_type, i.value) for i in iocs_from_config(text, name)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_config_shape_gives_pool_wallet_worker_algorithm(name: str) -> None:
    text = (FIXTURES / name).read_text()
    iocs = iocs_from_config(text, name)
    assert EXPECTED[name] <= {(i.ioc_type, i.value) for i in iocs}
    assert is_miner_config(iocs)
    assert ("worker", "x") not in found_in(name), "a placeholder password is no worker"


@pytest.mark.parametrize("name", sorted(CORRUPT_KEEPS))
def test_a_corrupt_config_keeps_what_is_whole(name: str) -> None:
    assert CORRUPT_KEEPS[name] <= found_in(name)


def test_a_web_apps_config_is_no_miner_config() -> None:
    text = (FIXTURES / "webapp.json").read_text()
    assert not is_miner_config(iocs_from_config(text, "webapp.json"))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/opt/xmrig/xmrig --config=/etc/xmrig/config.json -B",
         [(NAMED, "/etc/xmrig/config.json")]),
        ("cd /tmp/.x && ./xmrig -c c.json >/dev/null 2>&1", [(NAMED, "/tmp/.x/c.json")]),
        ("/opt/m/xmrig -c conf/m.json", [(NAMED, "/opt/m/conf/m.json")]),
        ("nohup /usr/local/bin/xmrig &",
         [(BESIDE_PROGRAM, "/usr/local/bin/config.json"),
          (BESIDE_PROGRAM, "/usr/local/bin/config.ini")]),
        ("/bin/bash -c 'cd /opt/m; setsid ./kdevtmpfsi --donate-level 1 &'",
         [(BESIDE_PROGRAM, "/opt/m/config.json"), (BESIDE_PROGRAM, "/opt/m/config.ini")]),
        ("-/usr/bin/env LD=1 /srv/nanominer/nanominer /srv/nanominer/config.ini",
         [(BESIDE_PROGRAM, "/srv/nanominer/config.json"),
          (BESIDE_PROGRAM, "/srv/nanominer/config.ini")]),
        ("/usr/sbin/nginx -c /etc/nginx/nginx.conf", []),
        ("xmrig -c relative.json", []),
        ("bash -c 'unclosed", []),
    ],
)  # fmt: skip
def test_the_config_a_persistence_command_starts_a_miner_with(
    command: str, expected: list[tuple[str, str]]
) -> None:
    assert launched_configs(command) == expected


LAUNCH_FILES: dict[str, list[tuple[str, str]]] = {
    "Dockerfile": [(COPIED_BY, "/srv/x/conf/pool.json"), (COPIED_BY, "/srv/x/extra/config.ini"),
                   (BESIDE_FILE, "/srv/x/config.json")],
    "docker-compose.yml": [(MOUNTED_BY, "/srv/x/config.json"),
                           (MOUNTED_BY, "/opt/pools/config.json"),
                           (BESIDE_FILE, "/srv/x/config.ini")],
    "daemonset.yaml": [(MOUNTED_BY, "/etc/node-agent/config.json"),
                       (MOUNTED_BY, "/etc/one.json"), (BESIDE_FILE, "/srv/x/config.json")],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LAUNCH_FILES))
def test_the_configs_a_launch_file_brings_along(name: str) -> None:
    """The host side of what a container gets (COPY, volumes, hostPath); never a path of the
    container's own command (`--config=/etc/xmrig.json`, `-c /cfg/config.json`)."""
    found = file_configs((FIXTURES / name).read_text(), f"/srv/x/{name}")
    assert set(LAUNCH_FILES[name]) <= set(found)
    paths = [path for _, path in found]
    assert not {"/etc/xmrig.json", "/cfg/config.json", "/src/xmrig/build/config.json"} & set(paths)
    assert len(paths) == len(set(paths))
    corrupt = (FIXTURES / f"{name}.corrupt").read_bytes().decode("utf-8", "surrogateescape")
    for _, path in file_configs(corrupt, f"/srv/x/{name}"):
        assert path.startswith("/") and "\0" not in path


def test_a_script_that_starts_a_miner_brings_its_config() -> None:
    script = "#!/bin/sh\ncd /opt/.m\nnohup ./xmrig -c /opt/.m/c.json >/dev/null 2>&1 &\n"
    assert file_configs(script, "/etc/init.d/m")[0] == (NAMED, "/opt/.m/c.json")


def test_a_process_config_says_why_it_was_read() -> None:
    named = process_configs(["./netd", "-c", "conf/m.json"], "/srv/netd", "/srv/work")
    assert named == [(NAMED, "/srv/work/conf/m.json")]
    defaults = dict((p, how) for how, p in process_configs(["xmrig"], "/opt/h/x", "/home/u"))
    assert defaults["/opt/h/config.json"] == "beside its executable"
    assert defaults["/home/u/config.ini"] == "in its working directory"
    quiet = [path for _, path in process_configs(["/opt/h/x"], "/opt/h/x", "/")]
    assert quiet == ["/opt/h/config.json", "/opt/h/config.ini"], "no miner named: not its cwd's"


def test_a_record_read_back_from_a_hostile_bundle() -> None:
    record: dict[str, Any] = {
        "pid": "7",
        "path": 3,
        "iocs": [
            {"ioc_type": "wallet", "value": W1, "validated": "yes", "detail": []},
            {"ioc_type": 1, "value": "x"},
            "not a dict",
            {"ioc_type": "worker", "value": "x"},
        ],
    }
    iocs = started_config_iocs(record)
    assert [(i.ioc_type, i.value, i.validated, i.source) for i in iocs] == [
        ("wallet", W1, None, "config")
    ]
    assert started_config_iocs({"iocs": "nope"}) == []


def run_reader(root: Path, records: list[dict[str, Any]]) -> tuple[list, set[str]]:
    """started_configs on a fixture root (no live state), into a real bundle."""
    sink = io.BytesIO()
    writer = EvidenceWriter(sink, command_line=["test"], guard=InterruptGuard())
    ctx = Context(writer, root=root, proc=None)
    found = started_configs(ctx, records)
    names = {m.name for m in writer.members}
    return found, names


def test_only_miner_configs_are_copied_and_links_stay_in_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "opt" / "m").mkdir(parents=True)
    (root / "srv").mkdir()
    (root / "opt" / "m" / "config.json").write_text((FIXTURES / "xmrig.json").read_text())
    (root / "srv" / "config.json").write_text((FIXTURES / "webapp.json").read_text())
    outside = tmp_path / "outside.json"
    outside.write_text((FIXTURES / "trex.json").read_text())
    (root / "etc").mkdir()
    os.symlink(str(outside), root / "etc" / "link.json")  # absolute: resolves inside the root
    entries = [
        {"type": "persistence", "source": "/etc/crontab", "line": 2,
         "command": "cd /opt/m && ./xmrig"},
        {"type": "persistence", "source": "/etc/crontab", "line": 3,
         "command": "/srv/xmrig --config /srv/config.json"},
        {"type": "persistence", "source": "/etc/crontab", "line": 4,
         "command": "/opt/m/xmrig -c /etc/link.json"},
        {"type": "persistence", "source": "/etc/crontab", "line": 5, "command": 7},
    ]  # fmt: skip
    found, names = run_reader(root, entries)
    assert [(c.entry, c.path, c.how) for c in found] == [
        ("/etc/crontab:2", "/opt/m/config.json", BESIDE_PROGRAM)
    ]
    assert found[0].member in names and "files/srv/config.json" not in names
    assert ("wallet", W1) in {
        (i.ioc_type, i.value) for i in started_config_iocs(found[0].to_dict())
    }


@fuzz_settings()
@given(st.text(max_size=400))
def test_any_config_text_or_command_never_crashes(text: str) -> None:
    for ioc in iocs_from_config(text, "fuzz"):
        assert ioc.ioc_type and ioc.value
    for _, path in launched_configs(text) + file_configs(text, "/srv/Dockerfile"):
        assert path.startswith("/") and "\0" not in path
    assert len(file_configs(text, "/srv/run.sh")) <= 16
    pair = assignment(text)
    assert pair is None or (pair[0] and pair[1])
    assert len(expand(text, {"A": text[:50]})) <= 1 << 22


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["url", "pool", "user", "wallet", "algo", "rig-id", "pools", "x"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@fuzz_settings()
@given(_JSON)
def test_any_json_config_or_record_never_crashes(data: Any) -> None:
    iocs_from_config(json.dumps(data), "fuzz")
    if isinstance(data, dict):
        started_config_iocs(data)
        started_config_iocs({"iocs": [data]})


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root (CI runs the tests as root)")
def test_a_process_config_is_read_inside_its_own_root(tmp_path: Path) -> None:
    """A process in a chroot (a container, to irkit): its config.json is read inside its root,
    and a link there to an absolute path stays inside that root, never reaching the host's
    file of that name."""
    jail = tmp_path / "jail"
    jail.mkdir()
    secret = tmp_path / "host-only.json"  # a miner config on the host, outside the jail
    secret.write_text((FIXTURES / "trex.json").read_text())
    os.symlink(str(secret), jail / "config.json")
    (jail / "config.ini").write_text((FIXTURES / "nanominer.ini").read_text())
    script = (
        f"import os, time; os.chroot({str(jail)!r}); os.chdir('/'); print('ready', flush=True);"
        " time.sleep(120)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        # Its cwd as the processes collector reads /proc/PID/cwd: the jail, seen from outside.
        record = {"type": "process", "pid": child.pid, "cmdline": ["xmrig"], "cwd": str(jail)}
        sink = io.BytesIO()
        writer = EvidenceWriter(sink, command_line=["test"], guard=InterruptGuard())
        found = started_configs(Context(writer, root=Path("/"), proc=Path("/proc")), [record])
    finally:
        child.kill()
        child.wait()
    assert [(c.path, c.how) for c in found] == [(f"{jail}/config.ini", "in its working directory")]
    values = {i.value for i in started_config_iocs(found[0].to_dict())}
    assert W1 in values and ETH not in values
    assert found[0].member == f"files/proc/{child.pid}/root/config.ini"


def test_code_given_with_dash_c_is_no_config_path() -> None:
    assert process_configs(["sh", "-c", "cd /x && ./xmrig"], "", "/srv") == [
        ("in its working directory", "/srv/config.json"),
        ("in its working directory", "/srv/config.ini"),
    ]
    assert process_configs(["/usr/bin/python3", "-c", "x"], "", None) == []
    assert process_configs(["/opt/m/m", "-c", "a b"], "", None) == []


def test_a_variable_the_same_file_sets_names_the_config(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "opt" / ".m").mkdir(parents=True)
    (root / "opt" / ".m" / "c.json").write_text((FIXTURES / "xmrig.json").read_text())
    entries = [
        {"type": "persistence", "source": "/etc/crontab", "line": 1, "command": None,
         "detail": {"environment": "CFG=/opt/.m/c.json"}},
        {"type": "persistence", "source": "/etc/crontab", "line": 2,
         "command": "/opt/.m/xmrig --config=${CFG} --pool $POOL"},
        {"type": "persistence", "source": "/etc/rc.local", "line": 3,
         "command": "/opt/.m/xmrig -c $CFG"},  # another file: its own variables only
    ]  # fmt: skip
    found, _ = run_reader(root, entries)
    assert [(c.entry, c.path) for c in found] == [("/etc/crontab:2", "/opt/.m/c.json")]


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("CFG=/opt/x.json", ("CFG", "/opt/x.json")),
        ('export CFG="/opt/x.json"', ("CFG", "/opt/x.json")),
        ("CFG=$(curl x)", None),
        ("echo CFG=/x", None),
    ],
)
def test_assignments(text: str, pair: tuple[str, str] | None) -> None:
    assert assignment(text) == pair
    assert expand("run ${CFG} $CFG $OTHER", {"CFG": "/c"}) == "run /c /c $OTHER"


def test_a_config_many_processes_name_is_read_and_copied_once(tmp_path: Path) -> None:
    config = tmp_path / "shared.json"
    config.write_text((FIXTURES / "xmrig.json").read_text())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        records = [
            {"type": "process", "pid": pid, "cmdline": ["xmrig", "-c", str(config)], "cwd": "/"}
            for pid in (os.getpid(), child.pid)
        ]
        sink = io.BytesIO()
        writer = EvidenceWriter(sink, command_line=["test"], guard=InterruptGuard())
        found = started_configs(Context(writer, root=Path("/"), proc=Path("/proc")), records)
    finally:
        child.kill()
        child.wait()
    assert [c.pid for c in found] == [os.getpid(), child.pid]
    assert len({c.member for c in found}) == 1
    assert [m.name for m in writer.members].count(found[0].member) == 1
