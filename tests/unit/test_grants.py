"""Grants judged without a database: ``visible`` agrees with a reference glob matcher."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from governance.access import EVERYTHING, Grant, Grants, namespace_visible, visible
from governance.access.grants import glob_matches

# Letters that occur in names, the separators of namespaces, and the two wildcards.
NAME_CHARS = st.sampled_from("ab:/._-")
PATTERN_CHARS = st.sampled_from("ab:/._-*?")
names = st.text(NAME_CHARS, max_size=8)
patterns = st.text(PATTERN_CHARS, min_size=1, max_size=6)


def reference_match(pattern: str, text: str) -> bool:
    """Glob matching written the slow, obvious way: ``*`` any run, ``?`` one character."""
    if not pattern:
        return not text
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return any(reference_match(rest, text[i:]) for i in range(len(text) + 1))
    if not text:
        return False
    return (head == "?" or head == text[0]) and reference_match(rest, text[1:])


@given(patterns, names)
def test_glob_matches_agrees_with_the_reference_and_fnmatch(pattern: str, text: str) -> None:
    """Without brackets, our globs are fnmatch's, case-sensitive."""
    assert glob_matches(pattern, text) == reference_match(pattern, text) == fnmatch.fnmatchcase(text, pattern)


@given(st.lists(st.lists(st.tuples(patterns, patterns), min_size=1, max_size=3), max_size=3), names, names)
def test_visible_is_every_layer_granting_it(
    layers: list[list[tuple[str, str]]], namespace: str, name: str
) -> None:
    """A node is visible when each holder (layer) has a grant matching both its namespace and name."""
    grants = EVERYTHING
    for layer in layers:
        grants = grants.narrowed(Grant(ns, n) for ns, n in layer)
    expected = all(
        any(reference_match(ns, namespace) and reference_match(n, name) for ns, n in layer)
        for layer in layers
    )
    assert visible(grants, namespace, name) == expected
    if expected:
        assert namespace_visible(grants, namespace)


def test_brackets_and_other_regex_characters_match_themselves() -> None:
    """Only * and ? are wildcards: a pattern never becomes a regular expression."""
    assert glob_matches("[ab]", "[ab]") and not glob_matches("[ab]", "a")
    assert glob_matches("a.b", "a.b") and not glob_matches("a.b", "axb")
    assert glob_matches("*", "line\nbreak")


def test_no_grants_hide_nothing_and_an_empty_layer_is_ignored() -> None:
    """A holder without grants is not limited; narrowing by nothing keeps the grants as they were."""
    assert EVERYTHING.is_unrestricted and EVERYTHING.narrowed([]) == EVERYTHING
    lake = Grants().narrowed([Grant("s3://lake", "*")])
    assert visible(lake, "s3://lake", "x") and not visible(lake, "s3://lake2", "x")
    assert lake.narrowed([]) == lake
