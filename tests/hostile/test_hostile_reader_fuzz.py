"""Issue 10 point 16 (the bundle reader): hypothesis damages a small real bundle (bit flips,
truncation, duplicated, dropped and rewritten members, a rewritten manifest) and every command
that reads a bundle runs on it: verify, review (summary, --html, --json, --rescan, --memory)
and timeline (every format). None may end in a traceback, each exits 0, 1 or 2, and no output
file is left torn (each is whole: the report ends its page, every timeline line parses).
"""

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile.fuzzing import fuzz_settings
from tests.hostile.reader_helpers import RULES, invoke, members_of, no_traceback, real_bundle

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
REWRITES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: (json.dumps(v) + "\n").encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n + b"\n"),
    st.sampled_from([b"\x00" * 100, b"{}" * 50, b'{"type": "process", "pid": 1e999}\n']),
)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_bundle(tmp_path_factory.mktemp("fuzz-src"))


@st.composite
def damaged(draw: st.DrawFn, original: Path) -> bytes:
    """The bundle's bytes, damaged one way or several."""
    members = members_of(original)
    names = sorted(members)
    how = draw(st.sampled_from(["flip", "truncate", "members", "manifest"]))
    if how in ("members", "manifest"):
        listing = list(members.items())
        if how == "manifest":
            manifest = json.loads(members["manifest.json"])
            key = draw(st.sampled_from(sorted(manifest)))
            path = [key]
            if isinstance(manifest[key], list) and manifest[key]:
                path.append(draw(st.integers(0, len(manifest[key]) - 1)))
            target = manifest
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = draw(JSON_VALUES)
            members["manifest.json"] = json.dumps(manifest).encode()
            listing = list(members.items())
        for _ in range(draw(st.integers(0 if how == "manifest" else 1, 3))):
            name = draw(st.sampled_from(names))
            action = draw(st.sampled_from(["duplicate", "drop", "rewrite"]))
            if action == "duplicate":
                listing.append((name, members[name]))
            elif action == "drop":
                listing = [(n, d) for n, d in listing if n != name]
            else:
                listing = [(n, draw(REWRITES) if n == name else d) for n, d in listing]
        sink = io.BytesIO()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in listing:
                archive.writestr(name, data)
        return sink.getvalue()
    data = bytearray(original.read_bytes())
    if how == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 8))):
        offset = draw(st.integers(0, len(data) - 1))
        data[offset] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def _run(*args: str | Path) -> int:
    result = invoke(*args)
    no_traceback(result)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output[-2000:])
    return result.exit_code


def _whole(path: Path, kind: str) -> None:
    """An output that exists is complete: torn evidence is worse than none."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if kind == "html":
        assert text.rstrip().endswith("</html>")
    elif kind == "jsonl":
        for line in text.splitlines():
            json.loads(line)
    elif kind == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(len(row) == len(rows[0]) for row in rows)
    else:
        assert all(len(line.split("|")) == 11 for line in text.splitlines())


@pytest.mark.filterwarnings("ignore:Duplicate name")
@fuzz_settings(100)
@given(data=st.data())
def test_every_reader_survives_a_damaged_bundle(original: Path, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory(prefix="irkit-fuzz-") as tmp:
        work = Path(tmp)
        bundle = work / "case.zip"
        bundle.write_bytes(data.draw(damaged(original)))
        rules = work / "rules.yar"
        rules.write_bytes(RULES)
        _run("verify", bundle)
        _run("review", bundle)
        _run("review", bundle, "--allow-not-intact", "--html", work / "report.html")
        _whole(work / "report.html", "html")
        _run("review", bundle, "--allow-not-intact", "--json")
        for fmt in ("jsonl", "csv", "bodyfile"):
            target = work / f"timeline.{fmt}"
            _run("timeline", bundle, "--allow-not-intact", "--format", fmt, "-o", target)
            _whole(target, fmt)
        _run("review", bundle, "--allow-not-intact", "--rescan", "--rules", rules)
        _run("review", bundle, "--allow-not-intact", "--memory")
        for review_file in work.glob("case.zip.*-*.jsonl"):
            _whole(review_file, "jsonl")
