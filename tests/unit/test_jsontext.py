"""Strict JSON parsing: what is refused and what is kept."""

from __future__ import annotations

import pytest

from governance.ingest.errors import MalformedBody
from governance.ingest.jsontext import nesting_depth, parse_json


def nested(depth: int) -> bytes:
    """An array nested ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"a": 1,', "invalid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"a": "\xc3"}', "not valid UTF-8"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b"", "invalid JSON"),
        (b"{} {}", "invalid JSON"),
    ],
)
def test_malformed_bodies_are_refused_with_the_reason(raw: bytes, fragment: str) -> None:
    """Each kind of malformed body is refused and the message says what is wrong."""
    with pytest.raises(MalformedBody, match=fragment):
        parse_json(raw, max_depth=1000)


def test_nesting_at_the_limit_is_accepted_and_one_more_level_refused() -> None:
    """1,000 levels parse; 1,001 are refused naming the limit."""
    assert nesting_depth(parse_json(nested(1000), max_depth=1000)) == 1000
    with pytest.raises(MalformedBody, match="at most 1000"):
        parse_json(nested(1001), max_depth=1000)


def test_nesting_far_past_the_stack_is_refused_not_crashed() -> None:
    """A 100,000-deep document is refused without a RecursionError escaping."""
    with pytest.raises(MalformedBody, match="deeper than 1000"):
        parse_json(nested(100_000), max_depth=1000)


def test_duplicate_keys_in_nested_objects_are_found() -> None:
    """Duplicates deep inside the document count too."""
    with pytest.raises(MalformedBody, match="duplicate key 'x'"):
        parse_json(b'{"run": {"facets": {"x": 1, "x": 1}}}', max_depth=10)
