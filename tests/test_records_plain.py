"""Serialising records: `plain_value` gives what `dataclasses.asdict` gives, and a record's line
what `json.dumps` with the writer's options gives, for any record however it was built (fields
set in order by `__init__`, set again after a `del`, extra attributes, nested records)."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import given
from hypothesis import strategies as st

from irkit.collectors.persistence import PersistenceRecord
from irkit.evidence.manifest import MemberEntry
from irkit.evidence.records import (
    FileRecord,
    Finding,
    Record,
    dumps_json,
    dumps_record,
    plain_value,
)
from tests.hostile.fuzzing import fuzz_settings

leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats()
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


@dataclass
class Nested(Record):
    kind: ClassVar[str] = "nested"
    name: str
    inner: Any = None
    items: list[Any] = field(default_factory=list)


def nested() -> st.SearchStrategy[Nested]:
    return st.builds(
        Nested,
        st.text(max_size=6),
        values | st.builds(Nested, st.text(max_size=4), values),
        st.lists(values | st.builds(Nested, st.text(max_size=4)), max_size=3),
    )


records = st.one_of(
    nested(),
    st.builds(Finding, st.text(max_size=6), st.sampled_from(["info", "high"]), st.text(max_size=4),
              reasons=st.lists(st.text(max_size=6), max_size=3), pid=st.none() | st.integers()),
    st.builds(PersistenceRecord, st.text(max_size=4), st.text(max_size=8),
              st.none() | st.integers(), st.none(), st.none(), st.text(max_size=12),
              detail=st.dictionaries(st.text(max_size=4), values, max_size=3)),
    st.builds(MemberEntry, st.text(max_size=8), st.text(max_size=8), st.integers(min_value=0),
              st.none() | st.text(max_size=8), st.text(max_size=4), st.text(max_size=4)),
)  # fmt: skip


@fuzz_settings(300)
@given(records, st.sampled_from(["none", "reset", "extra"]), st.integers(min_value=0))
def test_plain_value_is_asdict(record: Any, how: str, which: int) -> None:
    names = list(asdict(record))
    name = names[which % len(names)]
    if how == "reset":  # the instance's __dict__ no longer in field order
        value = getattr(record, name)
        delattr(record, name)
        setattr(record, name, value)
    elif how == "extra":  # an attribute that is no field
        record.not_a_field = 1
    assert plain_value(record) == asdict(record)
    assert list(plain_value(record)) == list(asdict(record))  # the same key order
    if isinstance(record, Record):
        line = asdict(record) | {"type": record.kind}
        assert dumps_record(record) == json.dumps(line, ensure_ascii=True, default=str)


def test_a_file_record_line() -> None:
    when = "2026-12-01T00:00:00Z"
    record = FileRecord("/etc/x\udcff", "files/etc/x", "persistence", None, 3, 0o100644, 0, 0,
                        when, when, when)  # fmt: skip
    line = json.loads(dumps_record(record))
    assert line["path"] == "/etc/x\udcff" and line["type"] == "file" and line["crtime"] is None


@fuzz_settings(200)
@given(st.dictionaries(st.text(max_size=4), values | st.builds(Path, st.text(max_size=4))))
def test_a_line_is_json_dumps(data: dict[str, Any]) -> None:
    assert dumps_json(data) == json.dumps(data, ensure_ascii=True, default=str)
