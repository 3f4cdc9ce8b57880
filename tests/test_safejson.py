"""The bounded JSON parser: the bracket count that spares most lines the walk must never let a
value deeper than the limit through, and never refuse one within it."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.evidence.safejson import JsonError, cannot_nest_deeper, nesting_depth_exceeds, parse_json

LIMIT = 4

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{}"\\é'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=30,
)


@given(values)
def test_the_limit_holds_whatever_the_brackets(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode()
    if nesting_depth_exceeds(value, LIMIT):
        assert not cannot_nest_deeper(raw, LIMIT)
        with pytest.raises(JsonError, match="nested deeper"):
            parse_json(raw, LIMIT)
    else:
        assert parse_json(raw, LIMIT) == value


@pytest.mark.parametrize("raw", [b'{"a": "[[[[[[["}', '{"a": "{{{{{{{"}'])
def test_brackets_inside_strings_only_cost_the_walk(raw: bytes | str) -> None:
    assert not cannot_nest_deeper(raw, LIMIT)
    assert parse_json(raw, LIMIT) == {"a": "[[[[[[[" if isinstance(raw, bytes) else "{{{{{{{"}


def test_a_line_at_the_limit_is_accepted_and_one_deeper_refused() -> None:
    assert parse_json(b"[" * LIMIT + b"]" * LIMIT, LIMIT) == [[[[]]]]
    with pytest.raises(JsonError, match="nested deeper than 4"):
        parse_json(b"[" * (LIMIT + 1) + b"]" * (LIMIT + 1), LIMIT)
