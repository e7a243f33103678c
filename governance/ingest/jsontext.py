"""Strict JSON: one document of valid UTF-8, no duplicate keys, no NaN, bounded nesting.

The standard library's scanner is used because it can report duplicate keys and
non-finite constants, which faster parsers silently accept.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from governance.ingest.errors import MalformedBody

JsonObject = dict[str, Any]

# The scanner recurses in C and counts against the interpreter's recursion limit; give it
# room above the deepest nesting a setting may allow (2,000), once, at import, so that the
# depth check, not the stack, decides.
_DEEPEST_SETTING = 2000
_RECURSION_HEADROOM = 1500
if sys.getrecursionlimit() < _DEEPEST_SETTING + _RECURSION_HEADROOM:
    sys.setrecursionlimit(_DEEPEST_SETTING + _RECURSION_HEADROOM)


class CanonicalFloat(float):
    """A JSON number written with a fraction or exponent; serialized the RFC 8785 way."""

    __slots__ = ()


class BigInteger(int):
    """An integer past 64 bits, which the canonical serializer writes digit for digit."""

    __slots__ = ()


def _integer(text: str) -> int:
    value = int(text)
    # 19 digits can exceed 2**63; only such numbers need the slow path.
    return BigInteger(value) if len(text.lstrip("-")) > 18 else value


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedBody(f"duplicate key {key!r} in an object")
            seen.add(key)
    return obj


def _reject_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON number")


def parse_json(raw: bytes, *, max_depth: int) -> Any:
    """Parse ``raw`` as one strict JSON document.

    Raises:
        MalformedBody: invalid UTF-8, a syntax error, a duplicate key, NaN/Infinity,
            or nesting deeper than ``max_depth``.

    >>> parse_json(b'{"a": [1, 2.5]}', max_depth=10)
    {'a': [1, 2.5]}
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedBody(f"body is not valid UTF-8 (byte {err.start})") from err
    if text.startswith("\ufeff"):
        raise MalformedBody("body starts with a byte order mark; send JSON without one")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=CanonicalFloat,
            parse_int=_integer,
        )
    except json.JSONDecodeError as err:
        raise MalformedBody(f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
    except RecursionError as err:
        raise MalformedBody(f"JSON nesting is deeper than {max_depth} levels") from err
    depth = nesting_depth(value)
    if depth > max_depth:
        raise MalformedBody(f"JSON nesting is {depth} levels deep; at most {max_depth} are accepted")
    return value


def nesting_depth(value: Any) -> int:
    """How many containers deep ``value`` goes (a scalar is 0).

    >>> nesting_depth({"a": [{"b": 1}]})
    3
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            depth += 1
            stack.extend((child, depth) for child in node.values() if isinstance(child, dict | list))
        elif isinstance(node, list):
            depth += 1
            stack.extend((child, depth) for child in node if isinstance(child, dict | list))
        deepest = max(deepest, depth)
    return deepest
