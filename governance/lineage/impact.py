"""Impact analysis (``/impact``, beyond Marquez): every column, dataset and job a field reaches."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from governance.errors import InvalidInput
from governance.lineage.column_walk import column_walk, field_info, job_names, start_fields
from governance.lineage.facets import WHOLE_DATASET
from governance.lineage.nodes import dataset_node_id, field_node_id, job_node_id, resolve_node
from governance.lineage.read_model import JSON
from governance.lineage.walks import check_depth


def impact(
    session: Session, node_id: str, *, direction: str, depth: int, as_of: datetime | None = None
) -> JSON:
    """Every column, dataset and job a field (or a dataset's fields) reaches, with the path to it.

    Each hop says whether it is DIRECT or INDIRECT, masked, and declared or derived from SQL.
    """
    if direction not in {"downstream", "upstream"}:
        raise InvalidInput(f"direction must be downstream or upstream, not {direction!r}")
    root = resolve_node(session, node_id)
    start = start_fields(session, root)
    down = direction == "downstream"
    walk = column_walk(session, start, check_depth(depth), upstream=not down, downstream=down, as_of=as_of)
    info = field_info(session, walk.fields)
    jobs = job_names(session, {h.job_id for h in walk.reached_by.values()})

    def describe(fid: int) -> str:
        i = info[fid]
        return (
            dataset_node_id(i.namespace, i.dataset)
            if i.path == WHOLE_DATASET
            else field_node_id(i.namespace, i.dataset, i.path)
        )

    columns: list[JSON] = []
    datasets: dict[int, JSON] = {}
    for fid, distance in sorted(walk.fields.items(), key=lambda item: (item[1], describe(item[0]))):
        if fid in start:
            continue
        path: list[JSON] = []
        current = fid
        while current not in start:
            hop = walk.reached_by[current]
            job_ns, job_name = jobs[hop.job_id]
            path.append(
                {
                    "from": describe(hop.source),
                    "to": describe(hop.target),
                    "job": job_node_id(job_ns, job_name),
                    "transformation": hop.transformation,
                    "subtype": hop.subtype,
                    "masking": hop.masking,
                    "derived": hop.derived,
                }
            )
            current = hop.source if down else hop.target
        path.reverse()
        i = info[fid]
        entry = datasets.setdefault(
            i.dataset_id,
            {
                "nodeId": dataset_node_id(i.namespace, i.dataset),
                "namespace": i.namespace,
                "name": i.dataset,
                "distance": distance,
                "fields": [],
                "wholeDataset": False,
            },
        )
        if i.path == WHOLE_DATASET:
            entry["wholeDataset"] = True
            continue
        entry["fields"].append(i.path)
        columns.append(
            {
                "nodeId": describe(fid),
                "namespace": i.namespace,
                "dataset": i.dataset,
                "field": i.path,
                "distance": distance,
                "transformation": "DIRECT"
                if all(h["transformation"] == "DIRECT" for h in path)
                else "INDIRECT",
                "masked": any(h["masking"] for h in path),
                "derived": any(h["derived"] for h in path),
                "path": path,
            }
        )
    job_ids = {h.job_id for fid, h in walk.reached_by.items()}
    return {
        "nodeId": node_id,
        "direction": direction,
        "depth": depth,
        "columns": columns,
        "datasets": sorted(datasets.values(), key=lambda d: (d["distance"], d["nodeId"])),
        "jobs": sorted(
            ({"nodeId": job_node_id(*jobs[j]), "namespace": jobs[j][0], "name": jobs[j][1]} for j in job_ids),
            key=lambda j: j["nodeId"],
        ),
        "truncated": walk.truncated,
    }
