"""Impact analysis (``/impact``, beyond Marquez): every column, dataset and job a field reaches."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from governance.access import Grants
from governance.errors import InvalidInput
from governance.lineage.column_walk import column_walk, field_info, job_names, job_ref, start_fields
from governance.lineage.facets import WHOLE_DATASET
from governance.lineage.nodes import dataset_node_id, field_node_id, job_node_id
from governance.lineage.read_model import JSON
from governance.lineage.visibility import Sight
from governance.lineage.walks import check_depth, visible_root


def _impact_job(jobs: dict[int, tuple[str, str]], job_id: int, sight: Sight) -> JSON:
    namespace, name = jobs[job_id]
    if sight.sees(namespace, name):
        return {
            "nodeId": job_node_id(namespace, name),
            "namespace": namespace,
            "name": name,
            "restricted": False,
        }
    return {"nodeId": sight.restricted_id("job", job_id), "namespace": None, "name": None, "restricted": True}


def impact(
    session: Session,
    node_id: str,
    *,
    grants: Grants,
    direction: str,
    depth: int,
    as_of: datetime | None = None,
) -> JSON:
    """Every column, dataset and job a field (or a dataset's fields) reaches, with the path to it.

    Each hop says whether it is DIRECT or INDIRECT, masked, and declared or derived from SQL.
    What the grants hide is listed, with its path, as restricted entries without names.
    """
    if direction not in {"downstream", "upstream"}:
        raise InvalidInput(f"direction must be downstream or upstream, not {direction!r}")
    sight = Sight(grants)
    root = visible_root(session, node_id, sight)
    start = start_fields(session, root)
    down = direction == "downstream"
    walk = column_walk(session, start, check_depth(depth), upstream=not down, downstream=down, as_of=as_of)
    info = field_info(session, walk.fields)
    jobs = job_names(session, {h.job_id for h in walk.reached_by.values()})

    def describe(fid: int) -> str:
        i = info[fid]
        if not sight.sees(i.namespace, i.dataset):
            if i.path == WHOLE_DATASET:
                return sight.restricted_id("dataset", i.dataset_id)
            return sight.restricted_field_id(i.dataset_id, fid)
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
            path.append(
                {
                    "from": describe(hop.source),
                    "to": describe(hop.target),
                    "job": job_ref(jobs, hop.job_id, sight),
                    "transformation": hop.transformation,
                    "subtype": hop.subtype,
                    "masking": hop.masking,
                    "derived": hop.derived,
                }
            )
            current = hop.source if down else hop.target
        path.reverse()
        i = info[fid]
        hidden = not sight.sees(i.namespace, i.dataset)
        entry = datasets.setdefault(
            i.dataset_id,
            {
                "nodeId": sight.restricted_id("dataset", i.dataset_id)
                if hidden
                else dataset_node_id(i.namespace, i.dataset),
                "namespace": None if hidden else i.namespace,
                "name": None if hidden else i.dataset,
                "distance": distance,
                "fields": [],
                "wholeDataset": False,
                "restricted": hidden,
            },
        )
        if i.path == WHOLE_DATASET:
            entry["wholeDataset"] = True
            continue
        if not hidden:
            entry["fields"].append(i.path)
        columns.append(
            {
                "nodeId": describe(fid),
                "namespace": None if hidden else i.namespace,
                "dataset": None if hidden else i.dataset,
                "field": None if hidden else i.path,
                "restricted": hidden,
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
        "jobs": sorted((_impact_job(jobs, j, sight) for j in job_ids), key=lambda j: j["nodeId"]),
        "truncated": walk.truncated,
    }
