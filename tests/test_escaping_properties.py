"""Properties of the escaping that keeps host text inert in the report and the bodyfile."""

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from irkit.console import neutralize
from irkit.report.html import script_json
from irkit.timeline.formats import bodyfile_name

host_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=80)
surrogate_bytes = st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape"))


@given(st.one_of(host_text, surrogate_bytes))
def test_script_json_is_inert_inside_a_script_element_and_lossless(text: str) -> None:
    encoded = str(script_json({"v": text}))
    assert not re.search(r"[<>&\u2028\u2029]", encoded)
    assert encoded.isascii()
    assert json.loads(encoded) == {"v": text}


def mactime_field(field: str) -> str:
    """What mactime's tm_split makes of one field: %XX decoded."""
    return re.sub(r"%([A-Fa-f0-9]{2})", lambda m: chr(int(m.group(1), 16)), field)


@given(st.one_of(host_text, surrogate_bytes))
def test_bodyfile_names_survive_mactime_splitting(text: str) -> None:
    name = bodyfile_name(text)
    assert "|" not in name and "\n" not in name
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", name)
    assert mactime_field(name) == neutralize(text)
