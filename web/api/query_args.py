"""Query-string arguments read strictly: a bad value is a 422 that names the argument."""

from __future__ import annotations

from datetime import datetime

from flask import request

from governance.errors import InvalidInput
from governance.ingest.envelope import parse_event_time
from governance.ingest.events_read import MAX_OFFSET, MAX_PAGE


def time_arg(name: str, default: datetime | None = None) -> datetime | None:
    """An ISO 8601 time (a ``+`` that became a space in the query is put back)."""
    text = request.args.get(name)
    if not text:
        return default
    try:
        return parse_event_time(text.replace(" ", "+"))
    except (ValueError, OverflowError):
        raise InvalidInput(f"'{name}' must be an ISO 8601 date-time, not {text!r}") from None


def int_arg(name: str, default: int, *, low: int = 0, high: int = MAX_OFFSET) -> int:
    """A whole number between ``low`` and ``high``."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"'{name}' must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise InvalidInput(f"'{name}' must be between {low} and {high}, not {value}")
    return value


def bool_arg(name: str, default: bool) -> bool:
    """``true`` or ``false``, any case."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if text.lower() not in {"true", "false"}:
        raise InvalidInput(f"'{name}' must be true or false, not {text!r}")
    return text.lower() == "true"


def zone_arg(name: str) -> str:
    """An IANA time zone name, ``UTC`` by default (a ``+`` that became a space is put back)."""
    # Marquez's web UI sends the zone unencoded, so Etc/GMT+1 arrives as "Etc/GMT 1"; no zone
    # name holds a space.
    return (request.args.get(name) or "UTC").replace(" ", "+")


def paging(default_limit: int = 100) -> tuple[int, int]:
    """``limit`` and ``offset``."""
    return int_arg("limit", default_limit, high=MAX_PAGE), int_arg("offset", 0)


def required_arg(name: str) -> str:
    """A query argument that must be present and non-empty."""
    text = request.args.get(name)
    if not text:
        raise InvalidInput(f"the query argument '{name}' is required")
    return text
