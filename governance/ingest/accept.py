"""Accept events: decode, validate, store once by content hash with an outbox row, then enqueue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Insert, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from governance.ingest.canonical import compact_json, content_hash
from governance.ingest.envelope import Envelope, envelope_of
from governance.ingest.errors import MalformedBody, SchemaError, SchemaViolation
from governance.ingest.jsontext import parse_json
from governance.ingest.schema import event_kind, validate_event
from governance.metrics import EVENTS_RECEIVED
from governance.models import LineageEvent, Outbox, OutboxStatus

Enqueue = Callable[[int], None]
_EVENTS = LineageEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets it at class creation
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]


class AcceptStatus(StrEnum):
    """What became of an event sent to us."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """An event that passed every check and is ready to store."""

    envelope: Envelope
    content_hash: str
    body: str


@dataclass(frozen=True, slots=True)
class Acceptance:
    """The answer for one stored event."""

    status: AcceptStatus
    content_hash: str
    event_id: int | None


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """One event of a batch that was refused, and why."""

    index: int
    reason: str
    retriable: bool


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The answer for a batch: what was stored and what was refused."""

    received: int
    accepted: list[Acceptance]
    failures: list[BatchFailure]


def decode_event(event: Any) -> DecodedEvent:
    """Validate one parsed event and compute its identity.

    Raises:
        SchemaViolation: the event breaks the OpenLineage schema.
        MalformedBody: the event holds strings that are not valid Unicode.
    """
    if not isinstance(event, dict):
        raise SchemaViolation([SchemaError("", f"an event must be a JSON object, not {_json_type(event)}")])
    validate_event(event, event_kind(event.get("schemaURL")))
    digest = content_hash(event)
    body = compact_json(event)
    return DecodedEvent(envelope=envelope_of(event), content_hash=digest, body=body)


def accept_event(
    session: Session, raw: bytes, *, max_depth: int, now: datetime, publish_grace: timedelta, enqueue: Enqueue
) -> Acceptance:
    """Accept one event body: store it once with its outbox row, commit, then enqueue it.

    Raises:
        MalformedBody, SchemaViolation: the body is refused; nothing is stored.
    """
    try:
        decoded = decode_event(parse_json(raw, max_depth=max_depth))
    except (MalformedBody, SchemaViolation):
        EVENTS_RECEIVED.labels(result="rejected").inc()
        raise
    if _dialect(session) == "postgresql":
        # One statement stores the event and its outbox row atomically, so it needs no
        # transaction around it: one round trip instead of four.
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    acceptance = _store(session, decoded, now=now, lease_until=now + publish_grace)
    session.commit()
    _count(acceptance)
    if acceptance.event_id is not None:
        enqueue(acceptance.event_id)
    return acceptance


def accept_batch(
    session: Session,
    raw: bytes,
    *,
    max_depth: int,
    max_events: int,
    now: datetime,
    publish_grace: timedelta,
    enqueue: Enqueue,
) -> BatchResult:
    """Accept a JSON array of events: each valid one is stored, each invalid one reported by index.

    Raises:
        MalformedBody: the body is not JSON at all.
        SchemaViolation: the body is not an array, or holds more than ``max_events`` events.
    """
    try:
        events = parse_json(raw, max_depth=max_depth + 1)
        if not isinstance(events, list):
            raise SchemaViolation(
                [SchemaError("", f"a batch must be a JSON array, not {_json_type(events)}")]
            )
        if len(events) > max_events:
            raise SchemaViolation(
                [SchemaError("", f"a batch holds at most {max_events} events, not {len(events)}")]
            )
    except (MalformedBody, SchemaViolation):
        EVENTS_RECEIVED.labels(result="rejected").inc()
        raise
    decoded: list[DecodedEvent] = []
    failures: list[BatchFailure] = []
    for index, event in enumerate(events):
        try:
            decoded.append(decode_event(event))
        except (MalformedBody, SchemaViolation) as err:
            EVENTS_RECEIVED.labels(result="rejected").inc()
            failures.append(BatchFailure(index=index, reason=_reason(err), retriable=False))
    accepted = [_store(session, item, now=now, lease_until=now + publish_grace) for item in decoded]
    session.commit()
    for acceptance in accepted:
        _count(acceptance)
        if acceptance.event_id is not None:
            enqueue(acceptance.event_id)
    return BatchResult(received=len(events), accepted=accepted, failures=failures)


def _store(session: Session, event: DecodedEvent, *, now: datetime, lease_until: datetime) -> Acceptance:
    """Insert the event unless its hash is known, and its outbox row; the caller commits."""
    envelope = event.envelope
    params: dict[str, Any] = {
        "content_hash": event.content_hash,
        "kind": envelope.kind.value,
        "event_type": envelope.event_type,
        "event_time": envelope.event_time,
        "run_uuid": envelope.run_uuid,
        "job_namespace": envelope.job_namespace,
        "job_name": envelope.job_name,
        "producer": envelope.producer,
        "schema_url": envelope.schema_url,
        "body": event.body,
        "body_bytes": len(event.body.encode()),
        "received_at": now,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "lease_until": lease_until,
        "created_at": now,
    }
    if _dialect(session) == "postgresql":
        event_id = session.execute(_PG_STORE, params).scalar()
    else:
        event_id = session.execute(_SQLITE_STORE_EVENT, params).scalar()
        if event_id is not None:
            session.execute(_STORE_OUTBOX, {**params, "event_id": event_id})
    if event_id is None:
        return Acceptance(AcceptStatus.DUPLICATE, event.content_hash, None)
    return Acceptance(AcceptStatus.ACCEPTED, event.content_hash, int(event_id))


# Statements are built once with bind parameters: building them per event cost more than the
# database round trip.
_EVENT_COLUMNS = (
    "content_hash",
    "kind",
    "event_type",
    "event_time",
    "run_uuid",
    "job_namespace",
    "job_name",
    "producer",
    "schema_url",
    "body",
    "body_bytes",
    "received_at",
)
_OUTBOX_COLUMNS = ("status", "attempts", "lease_until", "created_at")


def _binds(table: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(name, type_=table.c[name].type) for name in columns}


def _pg_store() -> Insert:
    """Insert the event and, only if it was new, its outbox row, in one statement."""
    new_event = (
        postgresql.insert(_EVENTS)
        .values(_binds(_EVENTS, _EVENT_COLUMNS))
        .on_conflict_do_nothing(index_elements=["content_hash"])
        .returning(_EVENTS.c.id)
        .cte("new_event")
    )
    rows = select(new_event.c.id, *_binds(_OUTBOX, _OUTBOX_COLUMNS).values())
    return insert(_OUTBOX).from_select(["event_id", *_OUTBOX_COLUMNS], rows).returning(_OUTBOX.c.event_id)


_PG_STORE = _pg_store()
_SQLITE_STORE_EVENT = (
    sqlite.insert(_EVENTS)
    .values(_binds(_EVENTS, _EVENT_COLUMNS))
    .on_conflict_do_nothing(index_elements=["content_hash"])
    .returning(_EVENTS.c.id)
)
_STORE_OUTBOX = insert(_OUTBOX).values(_binds(_OUTBOX, ("event_id", *_OUTBOX_COLUMNS)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _count(acceptance: Acceptance) -> None:
    EVENTS_RECEIVED.labels(result=acceptance.status.value).inc()


def _reason(err: MalformedBody | SchemaViolation) -> str:
    if isinstance(err, SchemaViolation):
        return "; ".join(f"{e.pointer or '/'}: {e.message}" for e in err.errors[:5])
    return str(err)


def _json_type(value: Any) -> str:
    names: Sequence[tuple[type, str]] = (
        (dict, "an object"),
        (list, "an array"),
        (str, "a string"),
        (bool, "a boolean"),
    )
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return "null" if value is None else "a number"
