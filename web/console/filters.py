"""What the catalog pages' templates format: times, durations, JSON as text, and links.

Every value comes out as plain text for Jinja to escape; nothing here marks markup safe.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import request, url_for

from web.console.pages import bp

# The lineage graph page of the console, which takes a node id as ``nodeId``.
LINEAGE_PATH = "lineage"


@bp.app_template_filter("when")
def when(value: datetime | None) -> str:
    """A UTC time to the second, or a dash."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """A duration in hours, minutes and seconds (``1h 02m 03s``), or a dash.

    >>> duration(3723), duration(59.5), duration(0.25), duration(None)
    ('1h 02m 03s', '59.5s', '0.25s', '—')
    """
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.3g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


@bp.app_template_filter("number")
def number(value: float) -> str:
    """A measured value: whole numbers without a fraction, others to four significant places.

    >>> number(1200.0), number(0.123456), number(-3.5)
    ('1200', '0.1235', '-3.5')
    """
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


@bp.app_template_filter("pretty_json")
def pretty_json(value: Any) -> str:
    """A JSON value indented for a ``<pre>``, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@bp.app_template_global("lineage_url")
def lineage_url(node_id: str) -> str:
    """The console's lineage graph centred on a node (the id URL-encoded as a query value)."""
    return url_for("console.landing") + LINEAGE_PATH + "?" + urlencode({"nodeId": node_id})


@bp.app_template_global("here_with")
def here_with(**changes: str | int | None) -> str:
    """This page's URL with some query arguments changed (None drops one); paging restarts at 1."""
    args = {k: v for k, v in request.args.items() if k not in changes and k != "page"}
    args.update({k: str(v) for k, v in changes.items() if v is not None})
    return url_for(request.endpoint or "console.landing", **{**args, **(request.view_args or {})})
