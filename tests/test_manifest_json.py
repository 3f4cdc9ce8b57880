"""The manifest's text is `json.dumps(..., indent=1)` of it, whatever its members and host
hold, though its members are encoded one by one (the indenting encoder's token list for
10,000 members was the collection's peak memory)."""

import json
from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from irkit.evidence.manifest import FORMAT_NAME, FORMAT_VERSION, Manifest, MemberEntry
from tests.hostile.fuzzing import fuzz_settings

texts = st.text(alphabet=st.sampled_from(list('a"\\\n<&\u00e9\u2028\U0001f600\x00 ')), max_size=6)
leaves = st.none() | st.booleans() | st.integers() | texts
members = st.builds(
    MemberEntry,
    name=texts,
    sha256=texts,
    size=st.integers(0, 2**40),
    source=st.none() | texts,
    collector=texts,
    acquired=texts,
    partial=st.booleans(),
)
nested = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)
)


def indented(manifest: Manifest) -> bytes:
    data = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "irkit", "version": manifest.tool_version},
        "command_line": manifest.command_line,
        "host": manifest.host,
        "started": manifest.started,
        "ended": manifest.ended,
        "complete": manifest.complete,
        "incomplete_reason": manifest.incomplete_reason,
        "members": [asdict(m) for m in manifest.members],
        "collected_by": manifest.collected_by,
        "custody": manifest.custody,
    }
    return (json.dumps(data, indent=1, ensure_ascii=True) + "\n").encode()


@fuzz_settings(200)
@given(
    st.lists(members, max_size=4),
    st.dictionaries(texts, nested, max_size=3),
    st.lists(texts, max_size=3),
    st.none() | st.dictionaries(texts, leaves, max_size=3),
    st.none() | st.dictionaries(texts, nested, max_size=2),
)
def test_the_manifest_is_its_indented_json(
    listed: list[MemberEntry],
    host: dict[str, object],
    command_line: list[str],
    collected_by: dict[str, object] | None,
    custody: dict[str, object] | None,
) -> None:
    manifest = Manifest("1.0", command_line, host, "s", "e", False, None, listed, collected_by)
    manifest.custody = custody
    assert manifest.to_json() == indented(manifest)
