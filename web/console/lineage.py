"""The lineage graph page: the graph itself is drawn in the browser from the read API."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from governance.access import Permission
from governance.errors import InvalidInput
from governance.lineage.walks import MAX_DEPTH, check_depth, start_node
from web.auth import current_caller, requires
from web.console.pages import bp
from web.runtime import runtime

LEVELS = ("table", "column")
DIRECTIONS = ("both", "upstream", "downstream")


@bp.get("/lineage")
@requires(Permission.CATALOG_READ)
def lineage() -> ResponseReturnValue:
    """A node's lineage, drawn: table or column level, depth and direction chosen on the page."""
    node_id = request.args.get("nodeId", "")
    level = request.args.get("level", "table")
    direction = request.args.get("direction", "both")
    if level not in LEVELS or direction not in DIRECTIONS:
        raise InvalidInput(f"level is one of {', '.join(LEVELS)}; direction one of {', '.join(DIRECTIONS)}")
    depth_text = request.args.get("depth", "2")
    if not depth_text.isdigit():
        raise InvalidInput(f"depth must be a whole number, not {depth_text!r}")
    depth = check_depth(int(depth_text))
    with runtime().database.session() as session:
        node = start_node(session, node_id, grants=current_caller().grants)
    return render_template(
        "console/lineage.html",
        node=node,
        node_id=node_id,
        level=level,
        direction=direction,
        depth=depth,
        depths=sorted({1, 2, 3, 5, 10, 20, depth}),
        max_depth=MAX_DEPTH,
        levels=LEVELS,
        directions=DIRECTIONS,
    )
