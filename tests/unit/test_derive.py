"""Column edges between an event's datasets, derived from its sql facet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from governance.lineage.derive import DatasetRef, FieldEdge, derive_column_edges
from governance.lineage.edges import Transformation
from tests.builders import run_event

PG = "postgres://warehouse:5432"


def sql_event(
    query: str, *, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], **sql: str
) -> dict[str, Any]:
    """A run event whose job carries ``query`` in a sql facet."""
    event = run_event(inputs=inputs, outputs=outputs)
    event["job"]["facets"] = {"sql": {"query": query, **sql}}
    return event


def dataset(
    namespace: str, name: str, fields: list[str] | None = None, symlink: str | None = None
) -> dict[str, Any]:
    """A dataset with an optional schema facet and an optional table symlink."""
    facets: dict[str, Any] = {}
    if fields is not None:
        facets["schema"] = {"fields": [{"name": f, "type": "string"} for f in fields]}
    if symlink is not None:
        facets["symlinks"] = {
            "identifiers": [{"namespace": "hive://metastore", "name": symlink, "type": "TABLE"}]
        }
    return {"namespace": namespace, "name": name, "facets": facets}


def test_sql_tables_resolve_to_the_events_datasets() -> None:
    """Qualified SQL names land on the datasets whose names end with them, namespaces kept."""
    event = sql_event(
        "INSERT INTO public.daily_plays SELECT p.user_id, COUNT(*) AS plays FROM public.plays p GROUP BY 1",
        inputs=[dataset(PG, "analytics.public.plays")],
        outputs=[dataset(PG, "analytics.public.daily_plays")],
    )
    derived = derive_column_edges(event)
    assert derived.unparsed_reason is None
    assert derived.edges == [
        FieldEdge(
            DatasetRef(PG, "analytics.public.daily_plays"),
            "user_id",
            DatasetRef(PG, "analytics.public.plays"),
            "user_id",
            Transformation.DIRECT,
        )
    ]


def test_path_datasets_match_through_their_symlinks_and_schemas_expand_star() -> None:
    """Spark names datasets by path; the symlink gives the table name the SQL uses."""
    event = sql_event(
        "CREATE TABLE t2 AS SELECT * FROM t1",
        inputs=[dataset("hdfs://nn", "/warehouse/raw_one", ["a", "b"], symlink="default.t1")],
        outputs=[dataset("hdfs://nn", "/warehouse/raw_two", symlink="default.t2")],
    )
    edges = derive_column_edges(event).edges
    assert [
        (e.target.name, e.target_field, e.source.name if e.source else None, e.source_field) for e in edges
    ] == [
        ("/warehouse/raw_two", "a", "/warehouse/raw_one", "a"),
        ("/warehouse/raw_two", "b", "/warehouse/raw_one", "b"),
    ]


def test_known_schemas_stand_in_for_missing_schema_facets() -> None:
    """Fields learnt from earlier events expand a star when this event carries no schema."""
    source = DatasetRef(PG, "db.public.src")
    event = sql_event(
        "INSERT INTO public.dst SELECT * FROM public.src",
        inputs=[dataset(PG, source.name)],
        outputs=[dataset(PG, "db.public.dst")],
    )
    edges = derive_column_edges(event, known_fields={source: {"id": "int", "email": "text"}}).edges
    assert {(e.target_field, e.source_field) for e in edges} == {("id", "id"), ("email", "email")}


def test_a_bare_query_writes_the_single_output_and_tables_outside_the_event_are_unresolved() -> None:
    """A dbt-style SELECT targets the one output; a table that is no input keeps source None."""
    event = sql_event(
        "SELECT o.id, c.segment FROM shop.orders o JOIN crm.customers c ON o.customer_id = c.id",
        inputs=[dataset(PG, "db.shop.orders")],
        outputs=[dataset(PG, "db.marts.fct_orders")],
    )
    edges = {(e.target_field, e.source.name if e.source else None) for e in derive_column_edges(event).edges}
    assert edges == {("id", "db.shop.orders"), ("segment", None)}


def test_hostile_or_broken_sql_gives_a_reason_and_no_edges() -> None:
    """SQL the guard refuses, or that does not parse, is recorded as unparsed with why."""
    deep = sql_event("SELECT " + "(" * 500 + "1" + ")" * 500, inputs=[], outputs=[dataset(PG, "db.x.y")])
    refused = derive_column_edges(deep)
    assert refused.edges == [] and refused.unparsed_reason is not None
    assert "brackets nest 500 deep" in refused.unparsed_reason
    broken = derive_column_edges(sql_event("SELEC nothing FROM", inputs=[], outputs=[dataset(PG, "db.x.y")]))
    assert broken.edges == [] and broken.unparsed_reason is not None


def test_an_event_without_sql_derives_nothing() -> None:
    """No sql facet: no edges, and nothing to report."""
    derived = derive_column_edges(run_event())
    assert derived.edges == [] and derived.unparsed_reason is None


def test_derived_edges_agree_with_what_producers_declared(corpora: Path) -> None:
    """On corpus events carrying both SQL and a columnLineage facet, the derived edges mostly
    agree with the declared ones (the declared lineage has typos and lists join keys)."""
    events_dir = corpora / "openlineage" / "events"
    index = [json.loads(line) for line in (events_dir / "index.jsonl").read_text().splitlines()]
    true_positive = found = declared_total = 0
    for entry in index:
        if not (entry["sql"] and entry["columnLineage"]):
            continue
        text = (events_dir / entry["file"]).read_text()
        document = json.loads(text)
        for event in document if isinstance(document, list) else [document]:
            declared = {
                (o["namespace"], o["name"], f.lower(), s["namespace"], s["name"], s["field"].lower())
                for o in event.get("outputs") or []
                for f, spec in (
                    ((o.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}
                ).items()
                for s in spec.get("inputFields", [])
            }
            if not declared:
                continue
            derived = {
                (e.target.namespace, e.target.name, e.target_field.lower(), e.source.namespace, e.source.name,
                 e.source_field.lower())
                for e in derive_column_edges(event).edges
                if e.source is not None
            }  # fmt: skip
            true_positive += len(derived & declared)
            found += len(derived)
            declared_total += len(declared)
    precision, recall = true_positive / found, true_positive / declared_total
    print(f"derived vs declared: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.85 and recall >= 0.70  # measured 0.861 and 0.721
