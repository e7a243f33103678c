"""Canonical JSON (RFC 8785, JCS) and the content hash that makes ingest idempotent."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import orjson

from governance.ingest.errors import MalformedBody
from governance.ingest.jsontext import BigInteger, CanonicalFloat

# Keys are ordered by UTF-16 code units (RFC 8785 section 3.2.3); code point order, which
# orjson uses, differs only where a key holds a character at or above U+E000.
_HIGH_KEY_CHAR = re.compile("[\ue000-\U0010ffff]")


def es6_number(value: float) -> str:
    """Format a double as ECMAScript's Number.prototype.toString does (RFC 8785 section 3.2.2.3).

    >>> [es6_number(x) for x in (1.0, 0.1, 1e21, 1e-7, -0.0, 123456789012345680000.0, 1.5e300)]
    ['1', '0.1', '1e+21', '1e-7', '0', '123456789012345680000', '1.5e+300']
    """
    if not math.isfinite(value):
        raise MalformedBody("NaN and Infinity are not JSON numbers")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") or "0"
    # point: where the decimal point sits relative to the first significant digit.
    point = len(whole.lstrip("0")) + int(exponent or 0)
    if not whole.lstrip("0"):
        point = -(len(fraction) - len(fraction.lstrip("0"))) + int(exponent or 0)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        exp = point - 1
        head = digits[0] + (f".{digits[1:]}" if k > 1 else "")
        text = f"{head}e{'+' if exp >= 0 else '-'}{abs(exp)}"
    return sign + text


def _fragment(value: Any) -> orjson.Fragment:
    if isinstance(value, CanonicalFloat):
        return orjson.Fragment(es6_number(value))
    if isinstance(value, BigInteger):
        # Beyond 64 bits orjson refuses; exact digits keep different big numbers apart.
        return orjson.Fragment(str(int(value)))
    raise TypeError(type(value).__name__)


def canonical_json(value: Any) -> bytes:
    """Serialize a parsed document as RFC 8785 canonical JSON.

    Integers keep all their digits (RFC 8785 would round those past 2**53 to a double), so
    two events that differ only in a large number are never taken for one another.

    >>> canonical_json({"b": [1, CanonicalFloat(2.50)], "a": "é"})
    b'{"a":"\\xc3\\xa9","b":[1,2.5]}'
    """
    try:
        if _has_high_key(value):
            return _canonical_slow(value).encode()
        return orjson.dumps(
            value, default=_fragment, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS
        )
    except orjson.JSONEncodeError as err:
        raise MalformedBody(f"body holds a string that is not valid Unicode: {err}") from err


def compact_json(value: Any) -> str:
    """Serialize a parsed document compactly, keys in their original order, numbers as parsed."""
    return orjson.dumps(value, default=_fragment, option=orjson.OPT_PASSTHROUGH_SUBCLASS).decode()


def content_hash(value: Any) -> str:
    """The SHA-256 of the canonical JSON, hex: the identity of an event for deduplication."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _has_high_key(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(_HIGH_KEY_CHAR.search(key) for key in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _canonical_slow(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: _utf16_order(item[0]))
        body = ",".join(f"{_canonical_slow(k)}:{_canonical_slow(v)}" for k, v in items)
        return "{" + body + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical_slow(v) for v in value) + "]"
    return orjson.dumps(value, default=_fragment, option=orjson.OPT_PASSTHROUGH_SUBCLASS).decode()
