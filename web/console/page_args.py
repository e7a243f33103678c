"""Query arguments of the console's catalog pages: optional text and page numbers."""

from __future__ import annotations

from flask import request

from web.api.query_args import int_arg

MAX_PAGE_NUMBER = 100_000


def text_arg(name: str) -> str | None:
    """The argument without surrounding blanks; None when absent or blank."""
    value = request.args.get(name, "").strip()
    return value or None


def offset_arg(name: str, page_size: int) -> int:
    """The offset of the page numbered by the argument (1 when absent); a bad number is a 422."""
    return (int_arg(name, 1, low=1, high=MAX_PAGE_NUMBER) - 1) * page_size
