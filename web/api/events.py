"""Raw events read back: ``GET /events/lineage`` in Marquez's shape."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from governance.access import Permission
from governance.errors import InvalidInput
from governance.lineage.raw_events import list_visible_events
from web.api.query_args import paging, time_arg
from web.auth import current_caller, read_switch, requires
from web.runtime import runtime

bp = Blueprint("events", __name__)

# An open window by default: no event is hidden for being old or far in the future.
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def _direction() -> bool:
    text = request.args.get("sortDirection", "desc").lower()
    if text not in {"asc", "desc"}:
        raise InvalidInput(f"'sortDirection' must be asc or desc, not {text!r}")
    return text == "desc"


@bp.get("/events/lineage")
@requires(Permission.CATALOG_READ, unless_off=read_switch)
def get_lineage_events() -> ResponseReturnValue:
    """Raw events in an eventTime window, newest first, with the total count."""
    limit, offset = paging()
    with runtime().database.session() as session:
        page = list_visible_events(
            session,
            grants=current_caller().grants,
            after=time_arg("after") or _EARLIEST,
            before=time_arg("before") or _LATEST,
            limit=limit,
            offset=offset,
            descending=_direction(),
        )
    # Stored bodies are JSON already: splice them rather than parse and re-serialize.
    body = '{"events":[' + ",".join(page.bodies) + '],"totalCount":' + str(page.total_count) + "}"
    return Response(body, mimetype="application/json")
