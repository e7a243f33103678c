"""Per-dataset grants: which datasets and jobs a caller may see, judged without a database.

A grant is a pair of glob patterns, one for the namespace and one for the name, where ``*``
matches any run of characters (``/`` and ``:`` included) and ``?`` any one character; every
other character, ``[`` included, matches itself. A user or a token with no grants is not
limited; one with grants sees what at least one of them matches. A token owned by a user is
limited by both: its own grants and its owner's, so it never sees more than its owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from governance.errors import InvalidInput

MAX_PATTERN_CHARS = 512


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts = ["\\A"]
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    parts.append("\\Z")
    return re.compile("".join(parts), re.DOTALL)


def glob_matches(pattern: str, text: str) -> bool:
    """True when ``text`` matches ``pattern`` whole, case-sensitively.

    >>> glob_matches("s3://lake-*", "s3://lake-raw"), glob_matches("a?c", "abc"), glob_matches("[x]", "x")
    (True, True, False)
    """
    return _compiled(pattern).match(text) is not None


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    """Datasets and jobs whose namespace matches ``namespace`` and whose name matches ``name``."""

    namespace: str
    name: str = "*"

    def __post_init__(self) -> None:
        for label, pattern in (("namespace", self.namespace), ("name", self.name)):
            if not pattern:
                raise InvalidInput(f"a grant's {label} pattern cannot be empty (use '*' for any)")
            if len(pattern) > MAX_PATTERN_CHARS:
                raise InvalidInput(f"a grant's {label} pattern is longer than {MAX_PATTERN_CHARS} characters")

    def matches(self, namespace: str, name: str) -> bool:
        """True when both patterns match."""
        return glob_matches(self.namespace, namespace) and glob_matches(self.name, name)

    def __str__(self) -> str:
        return f"{self.namespace} {self.name}"


@dataclass(frozen=True, slots=True)
class Grants:
    """What a caller may see: a node is visible when every layer has a grant matching it.

    No layer at all means everything is visible. A layer comes from one holder (a user, a token).
    """

    layers: tuple[frozenset[Grant], ...] = ()

    @property
    def is_unrestricted(self) -> bool:
        """True when nothing is hidden."""
        return not self.layers

    def narrowed(self, grants: Iterable[Grant]) -> Grants:
        """These grants further limited by one holder's ``grants`` (none limits nothing)."""
        layer = frozenset(grants)
        return self if not layer else Grants((*self.layers, layer))


EVERYTHING = Grants()


def visible(grants: Grants, namespace: str, name: str) -> bool:
    """True when a dataset or job ``namespace``/``name`` may be seen under ``grants``.

    >>> lake = Grants().narrowed([Grant("s3://lake-*", "raw/*")])
    >>> visible(lake, "s3://lake-raw", "raw/plays"), visible(lake, "s3://lake-raw", "curated/plays")
    (True, False)
    >>> visible(EVERYTHING, "anything", "at all")
    True
    """
    return all(any(g.matches(namespace, name) for g in layer) for layer in grants.layers)


def namespace_visible(grants: Grants, namespace: str) -> bool:
    """True when ``namespace`` itself may be listed: every layer has a grant for it.

    >>> namespace_visible(Grants().narrowed([Grant("s3://*", "raw/*")]), "kafka://prod")
    False
    """
    return all(any(glob_matches(g.namespace, namespace) for g in layer) for layer in grants.layers)
