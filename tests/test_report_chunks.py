"""The report's data block streamed in chunks: the same bytes as in one piece, still inert."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.report import html as report_html
from irkit.report.html import JsonStream, script_json, script_json_chunks
from tests.hostile.fuzzing import fuzz_settings

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.sampled_from(list('ab<>&"\\/\u2028\u00e9\U0001f600-')), max_size=6),
    lambda inner: (
        st.lists(inner, max_size=7) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=40,
)


@fuzz_settings(300)
@given(json_values | st.dictionaries(st.integers(), json_values, max_size=3))
def test_the_chunks_joined_are_the_data_block_in_one_piece(data: Any) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_html, "JSON_BATCH", 2)  # batches and their joins on small input
        patch.setattr(report_html, "CHUNK_BYTES", 8)
        text = b"".join(script_json_chunks(data)).decode("ascii")
    assert text == str(script_json(data))
    assert "<" not in text and ">" not in text and "&" not in text


@fuzz_settings(100)
@given(st.lists(json_values, max_size=9), st.lists(st.integers(), max_size=3))
def test_a_list_made_while_it_is_encoded_is_encoded_as_the_list(
    items: list[Any], after: list[int]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_html, "JSON_BATCH", 2)
        streamed = {"rows": JsonStream(x for x in items), "after": after}
        text = b"".join(script_json_chunks(streamed)).decode("ascii")
    assert text == str(script_json({"rows": items, "after": after}))
