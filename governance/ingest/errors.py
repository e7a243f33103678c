"""Why an event is refused at the door; each maps to one HTTP status at the web edge."""

from __future__ import annotations

from dataclasses import dataclass

from governance.errors import InvalidInput


class MalformedBody(InvalidInput):
    """The body is not one strict JSON document (bad bytes, syntax, duplicates, NaN, depth)."""

    code = "malformed-json"


class BodyTooLarge(InvalidInput):
    """The body, or what it inflates to, is over the cap."""

    code = "body-too-large"

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"request body is over the {limit_bytes} byte limit")
        self.limit_bytes = limit_bytes


class UnsupportedMediaType(InvalidInput):
    """A Content-Type or Content-Encoding we do not read."""

    code = "unsupported-media"


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One schema violation: where (JSON pointer) and what."""

    pointer: str
    message: str


class SchemaViolation(InvalidInput):
    """The event is JSON but not an OpenLineage event; carries one error per violation."""

    code = "schema-violation"

    def __init__(self, errors: list[SchemaError]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first.pointer or '/'}: {first.message}{more}")
        self.errors = errors
