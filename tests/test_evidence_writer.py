"""The writer streams, hashes and names members safely; what it writes reads back bit for bit."""

import hashlib
import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from irkit.evidence.manifest import Manifest
from irkit.evidence.names import unsafe_member_reason
from irkit.evidence.writer import EvidenceWriter


def sealed(build) -> tuple[bytes, object]:
    sink = io.BytesIO()
    writer = EvidenceWriter(sink, command_line=["test"])
    build(writer)
    seal = writer.close(complete=True)
    return sink.getvalue(), seal


member_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(member_names, st.binary(max_size=3000), min_size=1, max_size=6))
def test_members_round_trip_with_their_hashes(members: dict[str, bytes]) -> None:
    def build(writer: EvidenceWriter) -> None:
        for name, data in members.items():
            writer.write_stream(name, [data[:1000], data[1000:]], collector="t", origin=name)

    raw, seal = sealed(build)
    assert hashlib.sha256(raw).hexdigest() == seal.bundle_sha256
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        assert zf.testzip() is None
        manifest = Manifest.from_json(zf.read("manifest.json"))
        by_origin = {m.source: m for m in manifest.members if m.collector == "t"}
        assert set(by_origin) == set(members)
        for origin, data in members.items():
            entry = by_origin[origin]
            assert unsafe_member_reason(entry.name) is None
            assert zf.read(entry.name) == data
            assert entry.sha256 == hashlib.sha256(data).hexdigest()
        assert len(set(zf.namelist())) == len(zf.namelist())


def test_limit_truncates_and_keeps_reading_bounded() -> None:
    def build(writer: EvidenceWriter) -> None:
        entry = writer.write_stream("big", io.BytesIO(b"x" * 5000), collector="t", limit=100)
        assert entry.size == 100

    sealed(build)


def test_unsafe_and_non_utf8_names_become_safe() -> None:
    def build(writer: EvidenceWriter) -> None:
        assert writer.unique_name("/../../etc/passwd") == "%2E%2E/%2E%2E/etc/passwd"
        assert writer.unique_name("files/bad\udcffname") == "files/bad%FFname"
        assert writer.unique_name("a\\b%c\x00") == "a%5Cb%25c%00"
        writer.write_bytes("dup", b"1", collector="t")
        assert writer.unique_name("dup") == "dup~2"

    sealed(build)
