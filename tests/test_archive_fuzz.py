"""Hostile records reach DuckDB as values it takes: hypothesis writes records of every shape
(wrong types, huge numbers, lone surrogates, control characters, nested structures) into a
bundle whose manifest is fixed to match (so it verifies intact and is loaded whole), and the
bundle is loaded and appended to an archive. Nothing may raise; the typed columns get NULL or
text, and `records.data` keeps the record as it was."""

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.archive.index import Batches
from irkit.archive.load import load_bundle
from irkit.archive.schema import create_statements
from tests.archivebundles import Fleet, write_host_bundle
from tests.custodybundles import forge
from tests.hostile.fuzzing import fuzz_settings

duckdb = pytest.importorskip("duckdb")

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["\udcff\x1b[31m", "2026-11-30T10:00:00Z", "9999-12-31T23:59:59Z", "-1"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
TYPES = st.sampled_from(["process", "socket", "persistence", "finding", "ioc", "yara-hit", "x"])
FIELDS = st.sampled_from(
    [
        "pid",
        "name",
        "exe",
        "cmdline",
        "start_time",
        "flags",
        "remote_port",
        "mtime",
        "mitre",
        "value",
        "ioc_type",
        "kind",
        "validated",
        "time",
        "title",
        "severity",
        "command",
    ]
)
RECORDS = st.lists(
    st.builds(
        lambda kind, fields: {"type": kind, **fields},
        TYPES,
        st.dictionaries(FIELDS, VALUES, max_size=6),
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_host_bundle(tmp_path_factory.mktemp("fuzz") / "host.zip", Fleet(), 0)


@fuzz_settings(100)
@given(records=RECORDS)
def test_any_record_is_loaded_and_appended(original: Path, records: list[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = forge(original, Path(tmp, "b.zip"), change={"records/processes.jsonl": lines})
        loaded = load_bundle(bundle)
    assert loaded.bundle["intact"] is True
    connection = duckdb.connect()
    try:
        for statement in create_statements():
            connection.execute(statement)
        batches = Batches(connection)
        batches.add(loaded)
        batches.commit()
        data = connection.execute(
            "SELECT data FROM records WHERE member = 'records/processes.jsonl'"
        ).fetchall()
    finally:
        connection.close()
    assert [json.loads(d) for (d,) in data] == [json.loads(json.dumps(r)) for r in records]
