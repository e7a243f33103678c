"""Search datasets and jobs by name (or a dataset by a field's name), and the dashboard's counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput
from governance.lineage import tables as t
from governance.lineage.nodes import dataset_node_id, job_node_id
from governance.lineage.read_model import JSON, iso
from governance.lineage.visibility import Sight
from governance.models import Run, RunTransition

SORTS = {"UPDATE_AT": "updated_at", "NAME": "name"}
FILTERS = {"DATASET", "JOB"}
PERIODS = {"DAY": (24, timedelta(hours=1)), "WEEK": (7, timedelta(days=1))}


def like_pattern(q: str) -> str:
    r"""A LIKE pattern (escape character ``\``) for any text containing ``q``, compared in lower case.

    >>> like_pattern("50%_Off") == r"%50\%\_off%"
    True
    """
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(
    session: Session,
    q: str,
    *,
    grants: Grants,
    kind: str | None,
    sort: str,
    limit: int,
    namespace: str | None = None,
) -> JSON:
    """Datasets and jobs the grants show whose name (or a dataset's field's name) contains ``q``, any case."""
    if kind is not None and kind.upper() not in FILTERS:
        raise InvalidInput(f"filter must be DATASET or JOB, not {kind!r}")
    if sort.upper() not in SORTS:
        raise InvalidInput(f"sort must be UPDATE_AT or NAME, not {sort!r}")
    pattern = like_pattern(q)
    parts: list[sa.Select[Any]] = []
    if kind is None or kind.upper() == "DATASET":
        has_field = sa.exists().where(
            t.dataset_field.c.dataset_id == t.dataset.c.id,
            sa.func.lower(t.dataset_field.c.path).like(pattern, escape="\\"),
        )
        query = sa.select(
            sa.literal("DATASET").label("type"),
            t.dataset.c.namespace,
            t.dataset.c.name,
            t.dataset.c.updated_at,
        ).where(
            t.dataset.c.deleted.is_(False),
            sa.or_(sa.func.lower(t.dataset.c.name).like(pattern, escape="\\"), has_field),
        )
        parts.append(query if namespace is None else query.where(t.dataset.c.namespace == namespace))
    if kind is None or kind.upper() == "JOB":
        query = sa.select(
            sa.literal("JOB").label("type"), t.job.c.namespace, t.job.c.name, t.job.c.updated_at
        ).where(t.job.c.deleted.is_(False), sa.func.lower(t.job.c.name).like(pattern, escape="\\"))
        parts.append(query if namespace is None else query.where(t.job.c.namespace == namespace))
    union = sa.union_all(*parts).subquery()
    order = (
        (union.c.updated_at.desc(), union.c.name) if SORTS[sort.upper()] == "updated_at" else (union.c.name,)
    )
    ordered = sa.select(union).order_by(*order, union.c.namespace)
    sight = Sight(grants)
    if sight.sees_everything:
        total = session.execute(sa.select(sa.func.count()).select_from(union)).scalar_one()
        rows = session.execute(ordered.limit(limit)).all()
    else:
        matches = sight.keep(session.execute(ordered), lambda r: (r.namespace, r.name))
        total, rows = len(matches), matches[:limit]
    return {
        "totalCount": int(total),
        "results": [
            {
                "type": row.type,
                "name": row.name,
                "updatedAt": iso(row.updated_at),
                "namespace": row.namespace,
                "nodeId": (dataset_node_id if row.type == "DATASET" else job_node_id)(
                    row.namespace, row.name
                ),
            }
            for row in rows
        ],
    }


def _intervals(period: str, timezone: str, now: datetime) -> list[tuple[datetime, datetime]]:
    if period.upper() not in PERIODS:
        raise InvalidInput(f"period must be DAY or WEEK, not {period!r}")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone must be an IANA time zone such as Europe/Paris, not {timezone!r}"
        ) from None
    count, step = PERIODS[period.upper()]
    local = now.astimezone(zone)
    end = (
        local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if step == timedelta(hours=1)
        else local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    return [(end - step * (count - i), end - step * (count - i - 1)) for i in range(count)]


def lineage_event_stats(
    session: Session, *, grants: Grants, period: str, timezone: str, now: datetime
) -> list[JSON]:
    """Run events (of jobs the grants show) per interval of the last day (hourly) or week (daily), by type."""
    intervals = _intervals(period, timezone, now)
    transition = RunTransition.__table__  # type: ignore[attr-defined]  # set by SQLModel
    run = Run.__table__  # type: ignore[attr-defined]
    sight = Sight(grants)
    query = sa.select(transition.c.event_time, transition.c.event_type).where(
        transition.c.event_time >= intervals[0][0], transition.c.event_time < intervals[-1][1]
    )
    if sight.sees_everything:
        rows = [(at, kind) for at, kind in session.execute(query)]
    else:
        query = query.add_columns(run.c.job_namespace, run.c.job_name).join(
            run, run.c.run_uuid == transition.c.run_uuid
        )
        rows = [(at, kind) for at, kind, ns, name in session.execute(query) if sight.sees(ns, name)]
    out = []
    for start, end in intervals:
        counts = {"START": 0, "COMPLETE": 0, "FAIL": 0, "ABORT": 0}
        for at, kind in rows:
            if start <= at < end and kind in counts:
                counts[kind] += 1
        out.append(
            {
                "startInterval": start.isoformat(),
                "endInterval": end.isoformat(),
                "start": counts["START"],
                "complete": counts["COMPLETE"],
                "fail": counts["FAIL"],
                "abort": counts["ABORT"],
            }
        )
    return out


def created_stats(
    session: Session, what: str, *, grants: Grants, period: str, timezone: str, now: datetime
) -> list[JSON]:
    """How many jobs, datasets or sources the grants show existed at each interval's end.

    Sources are the namespaces of datasets.
    """
    intervals = _intervals(period, timezone, now)
    sight = Sight(grants)
    if not sight.sees_everything:
        return _created_stats_within(session, what, sight, intervals)
    table = t.job if what == "jobs" else t.dataset
    # Deleted datasets and jobs are hidden from the counts as from the lists.
    live = sa.select(table.c.namespace, table.c.created_at).where(table.c.deleted.is_(False)).subquery()
    source: Any = live
    if what == "sources":
        column = sa.func.min(live.c.created_at)
        source = sa.select(column.label("created_at")).group_by(live.c.namespace).subquery()
    counts = session.execute(
        sa.select(*(sa.func.count().filter(source.c.created_at < end) for _, end in intervals))
    ).one()
    return [
        {"startInterval": start.isoformat(), "endInterval": end.isoformat(), "count": int(count)}
        for (start, end), count in zip(intervals, counts, strict=True)
    ]


def _created_stats_within(
    session: Session, what: str, sight: Sight, intervals: list[tuple[datetime, datetime]]
) -> list[JSON]:
    """``created_stats`` counted in Python over the datasets or jobs a restricted caller may see."""
    table = t.job if what == "jobs" else t.dataset
    rows = sight.keep(
        session.execute(
            sa.select(table.c.namespace, table.c.name, table.c.created_at).where(table.c.deleted.is_(False))
        ),
        lambda r: (r.namespace, r.name),
    )
    if what == "sources":
        firsts: dict[str, datetime] = {}
        for row in rows:
            firsts[row.namespace] = min(firsts.get(row.namespace, row.created_at), row.created_at)
        created = list(firsts.values())
    else:
        created = [row.created_at for row in rows]
    return [
        {
            "startInterval": start.isoformat(),
            "endInterval": end.isoformat(),
            "count": sum(1 for at in created if at < end),
        }
        for start, end in intervals
    ]
