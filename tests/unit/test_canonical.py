"""Canonical JSON (RFC 8785) and the content hash that deduplicates events."""

from __future__ import annotations

import json
import math

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from governance.ingest.canonical import canonical_json, content_hash, es6_number
from governance.ingest.errors import MalformedBody
from governance.ingest.jsontext import parse_json

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | finite_floats | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(finite_floats)
def test_numbers_format_as_ecmascript_does(value: float) -> None:
    """Every finite double is written exactly as the RFC 8785 reference writes it."""
    assert es6_number(value) == rfc8785.dumps(value).decode()


@given(json_values)
def test_canonical_form_matches_the_rfc_8785_reference(value: object) -> None:
    """Parsed back from any JSON text, a document canonicalizes as the reference does."""
    parsed = parse_json(json.dumps(value).encode(), max_depth=100)
    assert canonical_json(parsed) == rfc8785.dumps(parsed)


@given(json_values)
def test_whitespace_and_key_order_do_not_change_the_hash(value: object) -> None:
    """Two encodings of one document have one hash."""
    compact = json.dumps(value, separators=(",", ":"))
    spaced = json.dumps(value, indent=3, sort_keys=True)
    assert content_hash(parse_json(compact.encode(), max_depth=100)) == content_hash(
        parse_json(spaced.encode(), max_depth=100)
    )


def test_keys_sort_by_utf16_code_units() -> None:
    """A key above U+FFFF sorts before one in U+E000..U+FFFF, as UTF-16 orders them."""
    document = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical_json(document) == rfc8785.dumps(document)


def test_large_integers_keep_every_digit() -> None:
    """Two events that differ only past 2**53 are not taken for one another."""
    first = parse_json(b'{"n": 123456789012345678901}', max_depth=5)
    second = parse_json(b'{"n": 123456789012345678902}', max_depth=5)
    assert content_hash(first) != content_hash(second)


def test_lone_surrogates_are_refused() -> None:
    """An escaped lone surrogate is not Unicode text."""
    with pytest.raises(MalformedBody, match="not valid Unicode"):
        canonical_json(parse_json(b'{"a": "\\ud800"}', max_depth=5))


def test_one_point_zero_and_one_are_the_same_number() -> None:
    """1.0 and 1 canonicalize alike, as in JavaScript."""
    assert canonical_json(parse_json(b"[1.0, 1e0]", max_depth=5)) == b"[1,1]"
    assert math.isclose(float(parse_json(b"1.5", max_depth=5)), 1.5)
