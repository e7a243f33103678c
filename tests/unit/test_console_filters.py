"""The catalog pages' formatting helpers: their examples hold (``web`` is outside pytest's doctest paths)."""

from __future__ import annotations

import doctest

from web.console import filters


def test_the_filters_examples_hold() -> None:
    """Durations and measured values print as their docstrings show."""
    result = doctest.testmod(filters, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2 and result.failed == 0
