"""Catalog edits, the write calls of Marquez's API and web UI: tags and soft deletes.

Each needs ``catalog:write`` (a steward or admin, or a token with the write scope) unless
``HEADWATER_WRITE_AUTH=off``, edits only what the caller's grants show, and answers the dataset,
job or tag as it is after the change, in Marquez's shape.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from governance.access import Grants, Permission
from governance.clock import utcnow
from governance.lineage import soft_delete, tagging
from web.api import schemas
from web.api.request_body import json_request_body
from web.auth import current_caller, requires, write_switch
from web.runtime import runtime

bp = Blueprint("edits", __name__)

_writer = requires(Permission.CATALOG_WRITE, unless_off=write_switch)
_DATASET = "/namespaces/<name:namespace>/datasets/<name:dataset>"
_JOB = "/namespaces/<name:namespace>/jobs/<name:job>"


def _grants() -> Grants:
    return current_caller().grants


@bp.delete(_DATASET)
@_writer
def delete_dataset(namespace: str, dataset: str) -> ResponseReturnValue:
    """Soft-delete a dataset."""
    with runtime().database.session() as session:
        return jsonify(
            soft_delete.delete_dataset(session, grants=_grants(), namespace=namespace, name=dataset)
        )


@bp.delete(_JOB)
@_writer
def delete_job(namespace: str, job: str) -> ResponseReturnValue:
    """Soft-delete a job."""
    with runtime().database.session() as session:
        return jsonify(soft_delete.delete_job(session, grants=_grants(), namespace=namespace, name=job))


@bp.post(f"{_DATASET}/tags/<name:tag>")
@_writer
def tag_dataset(namespace: str, dataset: str, tag: str) -> ResponseReturnValue:
    """Tag a dataset."""
    with runtime().database.session() as session:
        return jsonify(
            tagging.tag_dataset(
                session, grants=_grants(), namespace=namespace, name=dataset, tag=tag, now=utcnow()
            )
        )


@bp.delete(f"{_DATASET}/tags/<name:tag>")
@_writer
def untag_dataset(namespace: str, dataset: str, tag: str) -> ResponseReturnValue:
    """Remove a steward's tag from a dataset."""
    with runtime().database.session() as session:
        return jsonify(
            tagging.untag_dataset(session, grants=_grants(), namespace=namespace, name=dataset, tag=tag)
        )


@bp.post(f"{_DATASET}/fields/<name:field>/tags/<name:tag>")
@_writer
def tag_field(namespace: str, dataset: str, field: str, tag: str) -> ResponseReturnValue:
    """Tag a field of a dataset."""
    with runtime().database.session() as session:
        return jsonify(
            tagging.tag_field(
                session,
                grants=_grants(),
                namespace=namespace,
                name=dataset,
                field=field,
                tag=tag,
                now=utcnow(),
            )
        )


@bp.delete(f"{_DATASET}/fields/<name:field>/tags/<name:tag>")
@_writer
def untag_field(namespace: str, dataset: str, field: str, tag: str) -> ResponseReturnValue:
    """Remove a steward's tag from a field of a dataset."""
    with runtime().database.session() as session:
        return jsonify(
            tagging.untag_field(
                session, grants=_grants(), namespace=namespace, name=dataset, field=field, tag=tag
            )
        )


@bp.post(f"{_JOB}/tags/<name:tag>")
@_writer
def tag_job(namespace: str, job: str, tag: str) -> ResponseReturnValue:
    """Tag a job."""
    with runtime().database.session() as session:
        return jsonify(
            tagging.tag_job(session, grants=_grants(), namespace=namespace, name=job, tag=tag, now=utcnow())
        )


@bp.delete(f"{_JOB}/tags/<name:tag>")
@_writer
def untag_job(namespace: str, job: str, tag: str) -> ResponseReturnValue:
    """Remove a steward's tag from a job."""
    with runtime().database.session() as session:
        return jsonify(tagging.untag_job(session, grants=_grants(), namespace=namespace, name=job, tag=tag))


@bp.put("/tags/<name:tag>")
@_writer
def put_tag(tag: str) -> ResponseReturnValue:
    """Make a tag, or describe it."""
    raw = json_request_body()
    body = schemas.TagIn.model_validate_json(raw) if raw.strip() else schemas.TagIn()
    with runtime().database.session() as session:
        made = tagging.put_tag(session, name=tag, description=body.description, now=utcnow())
    return jsonify(schemas.tag(made))
