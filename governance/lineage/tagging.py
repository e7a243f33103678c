"""Stewards' tags: add or remove a tag on a dataset, a field or a job, and describe a tag.

These are the tag writes of Marquez's API, which its web UI makes. A steward's tag sits beside
the tags a producer sends in OpenLineage ``tags`` facets, and reads show both
(``governance.lineage.tags``). As in Marquez, tagging with a tag nobody has made yet makes it.
A tag that a facet carries cannot be removed here: only the producer's next event can drop it.
A caller tags only what its grants let it see: anything else is unknown to it (``NotFound``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput, NotFound, TagFromFacet, TagNotFound
from governance.lineage import tables as t
from governance.lineage.datasets import dataset_row, get_dataset
from governance.lineage.jobs import get_job, job_row
from governance.lineage.namespaces import get_namespace
from governance.lineage.read_model import JSON, facets_of
from governance.lineage.tags import facet_field_tags, facet_tags
from governance.lineage.upsert import Upserts
from governance.lineage.visibility import Sight

MAX_TAG_NAME = 255  # Marquez's tags.name is a VARCHAR(255)
MAX_DESCRIPTION = 10_000
# Control characters (NUL above all, which PostgreSQL text cannot hold) and lone surrogates.
_FORBIDDEN_CATEGORIES = {"Cc", "Cs"}


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag and its description."""

    name: str
    description: str | None


def check_tag_name(name: str) -> str:
    """The name, if a tag may have it.

    Raises:
        InvalidInput: blank, longer than 255 characters, or holding a control character.

    >>> check_tag_name("pii:email")
    'pii:email'
    """
    if not name.strip():
        raise InvalidInput("a tag name must not be blank")
    if len(name) > MAX_TAG_NAME:
        raise InvalidInput(f"a tag name has at most {MAX_TAG_NAME} characters, not {len(name)}")
    if any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in name):
        raise InvalidInput(f"a tag name must not hold control characters: {name!r}")
    return name


def _check_description(text: str | None) -> str | None:
    if text is None:
        return None
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"a tag description has at most {MAX_DESCRIPTION} characters, not {len(text)}")
    if "\x00" in text or any(unicodedata.category(char) == "Cs" for char in text):
        raise InvalidInput("a tag description must not hold NUL characters or lone surrogates")
    return text


def put_tag(session: Session, *, name: str, description: str | None, now: datetime) -> Tag:
    """Make the tag, or give it this description (None clears it)."""
    tag = Tag(check_tag_name(name), _check_description(description))
    stmt = Upserts(session).insert(t.tag).values(name=tag.name, description=tag.description, created_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"description": tag.description})
    session.execute(stmt)
    session.commit()
    return tag


def _ensure_tag(session: Session, name: str, now: datetime) -> None:
    stmt = Upserts(session).insert(t.tag).values(name=name, description=None, created_at=now)
    session.execute(stmt.on_conflict_do_nothing())


def _add(session: Session, subject: sa.Column[Any], subject_id: int, tag: str, now: datetime) -> None:
    name = check_tag_name(tag)
    _ensure_tag(session, name, now)
    row = {subject.name: subject_id, "tag": name, "tagged_at": now}
    stmt = Upserts(session).insert(subject.table).values(row)
    session.execute(stmt.on_conflict_do_nothing())


def _remove(
    session: Session, subject: sa.Column[Any], subject_id: int, tag: str, *, from_facet: list[str], label: str
) -> None:
    """Remove a steward's tag; removing one that is not there changes nothing."""
    name = check_tag_name(tag)
    if name in from_facet:
        raise TagFromFacet(name, label)
    if session.execute(sa.select(t.tag.c.name).where(t.tag.c.name == name)).first() is None:
        raise TagNotFound(name)
    table = subject.table
    session.execute(sa.delete(table).where(subject == subject_id, table.c.tag == name))


def _dataset(session: Session, namespace: str, name: str, grants: Grants) -> tuple[int, dict[str, Any]]:
    """The live dataset's id and facets; NotFound for an unknown or hidden namespace or dataset."""
    get_namespace(session, namespace, grants=grants)
    dataset_id = int(dataset_row(session, namespace, name, Sight(grants)).id)
    return dataset_id, facets_of(session, [f"dataset:{dataset_id}"])[f"dataset:{dataset_id}"]


def _field_id(session: Session, dataset_id: int, name: str, field: str) -> int:
    found = session.execute(
        sa.select(t.dataset_field.c.id).where(
            t.dataset_field.c.dataset_id == dataset_id,
            t.dataset_field.c.path == field,
            t.dataset_field.c.ordinal.is_not(None),
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"dataset {name!r} has no field {field!r} in its current schema")
    return int(found)


def tag_dataset(
    session: Session, *, grants: Grants, namespace: str, name: str, tag: str, now: datetime
) -> JSON:
    """Tag a dataset (making the tag if it is new); the dataset as it is now."""
    dataset_id, _facets = _dataset(session, namespace, name, grants)
    _add(session, t.dataset_tag.c.dataset_id, dataset_id, tag, now)
    session.commit()
    return get_dataset(session, namespace, name, grants=grants)


def untag_dataset(session: Session, *, grants: Grants, namespace: str, name: str, tag: str) -> JSON:
    """Remove a steward's tag from a dataset; the dataset as it is now."""
    dataset_id, facets = _dataset(session, namespace, name, grants)
    label = f"dataset {name!r}"
    _remove(session, t.dataset_tag.c.dataset_id, dataset_id, tag, from_facet=facet_tags(facets), label=label)
    session.commit()
    return get_dataset(session, namespace, name, grants=grants)


def tag_field(
    session: Session, *, grants: Grants, namespace: str, name: str, field: str, tag: str, now: datetime
) -> JSON:
    """Tag a field of a dataset's current schema (making the tag if it is new); the dataset as it is now."""
    dataset_id, _facets = _dataset(session, namespace, name, grants)
    _add(session, t.dataset_field_tag.c.field_id, _field_id(session, dataset_id, name, field), tag, now)
    session.commit()
    return get_dataset(session, namespace, name, grants=grants)


def untag_field(session: Session, *, grants: Grants, namespace: str, name: str, field: str, tag: str) -> JSON:
    """Remove a steward's tag from a field of a dataset; the dataset as it is now."""
    dataset_id, facets = _dataset(session, namespace, name, grants)
    field_id = _field_id(session, dataset_id, name, field)
    from_facet = facet_field_tags(facets).get(field, [])
    label = f"field {field!r} of dataset {name!r}"
    _remove(session, t.dataset_field_tag.c.field_id, field_id, tag, from_facet=from_facet, label=label)
    session.commit()
    return get_dataset(session, namespace, name, grants=grants)


def _job(session: Session, namespace: str, name: str, grants: Grants) -> tuple[int, dict[str, Any]]:
    """The live job's id and facets; NotFound for an unknown or hidden namespace or job."""
    get_namespace(session, namespace, grants=grants)
    job_id = int(job_row(session, namespace, name, Sight(grants)).id)
    return job_id, facets_of(session, [f"job:{job_id}"])[f"job:{job_id}"]


def tag_job(session: Session, *, grants: Grants, namespace: str, name: str, tag: str, now: datetime) -> JSON:
    """Tag a job (making the tag if it is new); the job as it is now."""
    job_id, _facets = _job(session, namespace, name, grants)
    _add(session, t.job_tag.c.job_id, job_id, tag, now)
    session.commit()
    return get_job(session, namespace, name, grants=grants)


def untag_job(session: Session, *, grants: Grants, namespace: str, name: str, tag: str) -> JSON:
    """Remove a steward's tag from a job; the job as it is now."""
    job_id, facets = _job(session, namespace, name, grants)
    label = f"job {name!r}"
    _remove(session, t.job_tag.c.job_id, job_id, tag, from_facet=facet_tags(facets), label=label)
    session.commit()
    return get_job(session, namespace, name, grants=grants)
