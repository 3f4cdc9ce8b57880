"""The files a flagged miner was started with, and what its log says (docs/iocs.md)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from irkit.analysis.minerfiles import iocs_from_log, log_file_of, started_with


def test_named_config_and_log_relative_to_the_cwd() -> None:
    argv = ["./xmrig", "-c", "cfg/c.json", "--log-file=/var/tmp/x.log"]
    assert started_with(argv, "/opt/x/xmrig", "/home/u") == [
        ("config", "/home/u/cfg/c.json"),
        ("log", "/var/tmp/x.log"),
    ]


def test_default_config_beside_the_exe_and_in_the_cwd() -> None:
    found = started_with(["./kworkerds"], "/tmp/.x/kworkerds", "/root")
    assert found == [("config", "/tmp/.x/config.json"), ("config", "/root/config.json")]
    assert started_with(["m", "--config", "rel.json"], None, None) == [], "no cwd: no guess"


def test_log_file_named_by_the_config() -> None:
    assert log_file_of('{"log-file": "m.log"}', "/srv") == "/srv/m.log"
    assert log_file_of('{"log-file": null}', "/srv") is None
    assert log_file_of("[[[[", "/srv") is None


def test_pools_from_an_xmrig_log() -> None:
    log = (
        "[2026-11-30 10:00:01.000]  net      use pool pool.evil.test:3333  198.51.100.7\n"
        "[2026-11-30 10:00:02.000]  net      new job from pool.evil.test:3333 diff 1000\n"
        " * POOL #1      stratum+ssl://tls.evil.test:14433 algo rx/0\n"
    )
    found = {(i.ioc_type, i.value, i.source) for i in iocs_from_log(log, "log")}
    assert ("pool-host", "pool.evil.test:3333", "log") in found
    assert ("pool-url", "stratum+ssl://tls.evil.test:14433", "log") in found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=6), st.text(max_size=30), st.text(max_size=200))
def test_hostile_inputs_never_crash(argv: list[str], cwd: str, text: str) -> None:
    for _, path in started_with(argv, cwd, cwd):
        assert path.startswith("/") and "\0" not in path
    log_file_of(text, cwd)
    iocs_from_log(text, "log")
