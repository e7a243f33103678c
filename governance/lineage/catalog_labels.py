"""Tags and owners of datasets and jobs, as SQL rows and as Python reads them, in agreement.

A tag is a steward's (``dataset_tag``, ``job_tag``) or a producer's (the newest ``tags`` facet,
its dataset- or job-level entries); an owner is an entry of the newest ``ownership`` facet. Both
facets are JSON text, so the rows come out of SQLite's ``json_each`` or PostgreSQL's
``jsonb_array_elements``: the catalog search filters and counts by them in the database instead
of reading every facet into Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from governance.lineage import tables as t

TAG = "tag"
OWNER = "owner"
DATASET = "dataset"
JOB = "job"


def subject_of(kind: str, row_id: sa.ColumnElement[Any]) -> ColumnElement[str]:
    """The facet subject of a dataset or job id column: ``'dataset:' || id``."""
    return sa.literal(f"{kind}:", sa.Text) + sa.cast(row_id, sa.Text)


def owner_names(facets: Mapping[str, Any]) -> list[str]:
    """The owners an ``ownership`` facet names, in order, without repeats.

    >>> owner_names({"ownership": {"owners": [{"name": "team:data", "type": "MAINTAINER"}, {"type": "x"}]}})
    ['team:data']
    >>> owner_names({"ownership": {"owners": "nobody"}})
    []
    """
    owners = (facets.get("ownership") or {}).get("owners")
    found: dict[str, None] = {}
    for owner in owners if isinstance(owners, list) else []:
        if isinstance(owner, dict) and isinstance(owner.get("name"), str):
            found[owner["name"]] = None
    return list(found)


def owners_with_types(facets: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Each owner of an ``ownership`` facet with its type (``MAINTAINER``, ...), if given."""
    owners = (facets.get("ownership") or {}).get("owners")
    return [
        (o["name"], o["type"] if isinstance(o.get("type"), str) else None)
        for o in (owners if isinstance(owners, list) else [])
        if isinstance(o, dict) and isinstance(o.get("name"), str)
    ]


def label_rows(dialect: str) -> sa.Subquery:
    """Every (subject, kind, value) of a tag or an owner of a dataset or job, as a subquery.

    A subject may have the same tag twice (a steward's and a producer's): count distinct subjects.
    """
    build = _postgres_facet_rows if dialect == "postgresql" else _sqlite_facet_rows
    parts = [
        build("tags", "tags", TAG),
        build("ownership", "owners", OWNER),
        sa.select(
            subject_of(DATASET, t.dataset_tag.c.dataset_id).label("subject"),
            sa.literal(TAG, sa.Text).label("kind"),
            t.dataset_tag.c.tag.label("value"),
        ),
        sa.select(
            subject_of(JOB, t.job_tag.c.job_id).label("subject"),
            sa.literal(TAG, sa.Text).label("kind"),
            t.job_tag.c.tag.label("value"),
        ),
    ]
    return sa.union_all(*parts).subquery("labels")


def _of_datasets_and_jobs() -> ColumnElement[bool]:
    # Runs carry their job's facets too ("run-job:<uuid>"); they are not the job's own.
    return sa.or_(t.facet.c.subject.startswith(f"{DATASET}:"), t.facet.c.subject.startswith(f"{JOB}:"))


def _sqlite_facet_rows(facet: str, array: str, kind: str) -> sa.Select[Any]:
    f = t.facet
    items = sa.func.json_each(f.c.payload, f"$.{array}").table_valued("fullkey", name="item")

    def member(key: str) -> ColumnElement[Any]:
        return sa.func.json_extract(f.c.payload, items.c.fullkey + f".{key}")

    def member_type(key: str) -> ColumnElement[Any]:
        return sa.func.json_type(f.c.payload, items.c.fullkey + f".{key}")

    value: ColumnElement[Any]
    if kind == TAG:
        value = sa.case(
            (
                sa.and_(member_type("value") == "text", member("value") != ""),
                member("key") + ":" + member("value"),
            ),
            else_=member("key"),
        )
        wanted = sa.and_(member_type("key") == "text", sa.func.coalesce(member("field"), "") == "")
    else:
        value, wanted = member("name"), member_type("name") == "text"
    return (
        sa.select(f.c.subject, sa.literal(kind, sa.Text).label("kind"), value.label("value"))
        .select_from(f)
        .join(items, sa.true())
        .where(
            f.c.name == facet,
            _of_datasets_and_jobs(),
            sa.func.json_type(f.c.payload, f"$.{array}") == "array",
            # A producer withdraws a facet by sending it with "_deleted": true.
            sa.func.json_type(f.c.payload, "$._deleted").is_distinct_from("true"),
            wanted,
        )
    )


def _postgres_facet_rows(facet: str, array: str, kind: str) -> sa.Select[Any]:
    f = t.facet
    doc = sa.cast(f.c.payload, JSONB)
    entries = sa.case(
        (sa.func.jsonb_typeof(doc[array]) == "array", doc[array]), else_=sa.cast(sa.literal("[]"), JSONB)
    )
    items = (
        sa.func.jsonb_array_elements(entries).table_valued(sa.column("value", JSONB), name="item").lateral()
    )
    item = items.c.value

    def is_text(key: str) -> ColumnElement[bool]:
        return sa.func.jsonb_typeof(item[key]) == "string"

    value: ColumnElement[Any]
    if kind == TAG:
        value = sa.case(
            (
                sa.and_(is_text("value"), item["value"].astext != ""),
                item["key"].astext + ":" + item["value"].astext,
            ),
            else_=item["key"].astext,
        )
        wanted = sa.and_(is_text("key"), sa.func.coalesce(item["field"].astext, "") == "")
    else:
        value, wanted = item["name"].astext, is_text("name")
    return (
        sa.select(f.c.subject, sa.literal(kind, sa.Text).label("kind"), value.label("value"))
        .select_from(f)
        .join(items, sa.true())
        .where(
            f.c.name == facet,
            _of_datasets_and_jobs(),
            sa.func.jsonb_typeof(item) == "object",
            doc["_deleted"].is_distinct_from(sa.cast(sa.literal("true"), JSONB)),
            wanted,
        )
    )
