"""Events that build the catalog the console tests browse, unit and browser alike.

A warehouse ``orders`` table loaded twice by an Airflow job (its schema changes between the two
versions: ``email`` dropped, ``id`` retyped, ``country`` added), checked by a data-quality job,
and turned into a daily mart by SQL whose declared column lineage disagrees with what the SQL
says. The load's third run fails with a Python error. A vault of salaries, its own job, sit in
namespaces a limited viewer is not granted, every one of their names carrying the word
``secret`` so that a test can look for it in any page; a payroll job the viewer does see reads
the vault (its SQL names it) into a warehouse table. Names hold ``/``,
``:`` and ``@``, and one dataset's name is markup, to check that every page escapes it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from governance.access import Grant, Grants
from tests.builders import BASE_TIME, run_event
from tests.graph_events import column_lineage, dataset, schema

WAREHOUSE = "postgres://svc@warehouse:5432"
ORCHESTRATOR = "airflow@prod:8080"
ORDERS = "shop/public.orders"
DAILY = "mart/daily:orders"
MARKUP = '<img src=x onerror="alert(1)">'
LOAD = "etl/load_orders"
CHECK = "dq/check_orders"
MART = "mart/build_daily"
BROKEN = "adhoc/broken_sql"
SECRET_NS = "s3://secret-vault"
SECRET_JOBS = "secret-jobs"
SECRET_DATASET = "secret/salaries"
SECRET_COPY = "secret_copy"
PAYROLL = "reports/payroll"

FIRST_RUN = str(uuid.UUID(int=1))
SECOND_RUN = str(uuid.UUID(int=2))
FAILED_RUN = str(uuid.UUID(int=3))
MART_RUN = str(uuid.UUID(int=4))
SECRET_RUN = str(uuid.UUID(int=5))
ERROR_MESSAGE = "KeyError: 'country' <not a tag>"
STACK_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "load.py", line 12, in <module>\n'
    "    row['country']\n"
    "KeyError: 'country' <script>alert(1)</script>"
)

ORDERS_V1 = schema(("id", "INT"), ("email", "STRING"))
ORDERS_V2 = schema(("id", "BIGINT"), ("country", "STRING"))
ORDERS_V1["fields"].append(
    {"name": "address", "type": "STRUCT", "fields": [{"name": "city", "type": "STRING"}, {"name": "zip"}]}
)
ORDERS_V2["fields"].append(
    {
        "name": "address",
        "type": "STRUCT",
        "description": "where it ships",
        "fields": [{"name": "city", "type": "STRING", "description": "the town"}, {"name": "zip"}],
    }
)


def _at(minutes: int) -> str:
    return (BASE_TIME + timedelta(minutes=minutes)).isoformat()


def _event(
    kind: str, run_id: str, minutes: int, job: str, namespace: str = ORCHESTRATOR, **extra: Any
) -> dict[str, Any]:
    event = run_event(kind, run_id=run_id, job=job, namespace=namespace, **extra)
    event["eventTime"] = _at(minutes)
    return event


def _orders(version_schema: dict[str, Any], **facets: Any) -> dict[str, Any]:
    return dataset(
        WAREHOUSE,
        ORDERS,
        schema=version_schema,
        ownership={"owners": [{"name": "team:sales", "type": "MAINTAINER"}]},
        documentation={"description": "Orders placed on the shop.\nOne row per order."},
        tags={
            "tags": [
                {"key": "pii", "value": "true"},
                {"key": "zip-code", "value": "", "field": "address.zip"},
            ]
        },
        **facets,
    )


def catalog_events() -> list[dict[str, Any]]:
    """Every event of the estate, in time order."""
    quality = {
        "dataQualityMetrics": {
            "rowCount": 1200,
            "bytes": 4096,
            "columnMetrics": {
                "id": {"nullCount": 0, "distinctCount": 1200, "min": 1, "max": 1200},
                "country": {"nullCount": 7, "quantiles": {"0.5": 3, "0.25": 1}},
            },
        },
        "dataQualityAssertions": {
            "assertions": [
                {"assertion": "not_null", "success": True, "column": "id"},
                {"assertion": "accepted_values", "success": False, "column": "country", "severity": "warn"},
                {"assertion": "row_count_above", "success": True},
            ]
        },
    }
    daily = dataset(
        WAREHOUSE,
        DAILY,
        schema=schema("order_id", "country"),
        columnLineage=column_lineage(
            {
                "order_id": [(WAREHOUSE, ORDERS, "id", "DIRECT/IDENTITY")],
                # Declared from the city, while the SQL takes the country: a disagreement.
                "country": [(WAREHOUSE, ORDERS, "address.city", "DIRECT/TRANSFORMATION/masked")],
            }
        ),
        ownership={"owners": [{"name": "team:analytics"}]},
    )
    mart = _event(
        "COMPLETE", MART_RUN, 40, MART, inputs=[dataset(WAREHOUSE, ORDERS, schema=ORDERS_V2)], outputs=[daily]
    )
    mart["job"]["facets"] = {
        "sql": {"query": f'INSERT INTO "{DAILY}" SELECT id AS order_id, country FROM "{ORDERS}"'},
        "ownership": {"owners": [{"name": "team:analytics"}]},
    }
    broken = _event("COMPLETE", str(uuid.UUID(int=6)), 45, BROKEN, inputs=[dataset(WAREHOUSE, ORDERS)])
    broken["job"]["facets"] = {"sql": {"query": "SELEC * FROM WHERE ((("}}
    failed = _event("FAIL", FAILED_RUN, 62, LOAD, outputs=[dataset(WAREHOUSE, ORDERS)])
    failed["run"]["facets"] = {
        "errorMessage": {"message": ERROR_MESSAGE, "programmingLanguage": "PYTHON", "stackTrace": STACK_TRACE}
    }
    check = _event(
        "COMPLETE",
        str(uuid.UUID(int=7)),
        35,
        CHECK,
        inputs=[{"namespace": WAREHOUSE, "name": ORDERS, "inputFacets": quality}],
    )
    secret_copy = _event(
        "COMPLETE",
        SECRET_RUN,
        50,
        SECRET_COPY,
        namespace=SECRET_JOBS,
        inputs=[dataset(WAREHOUSE, ORDERS)],
        outputs=[dataset(SECRET_NS, SECRET_DATASET, schema=schema("secret_salary"))],
    )
    payroll = _event(
        "COMPLETE",
        str(uuid.UUID(int=8)),
        55,
        PAYROLL,
        inputs=[dataset(SECRET_NS, SECRET_DATASET)],
        outputs=[
            dataset(
                WAREHOUSE,
                MARKUP,
                schema=schema("total"),
                columnLineage=column_lineage(
                    {"total": [(SECRET_NS, SECRET_DATASET, "secret_salary", "INDIRECT/AGGREGATION")]}
                ),
            )
        ],
    )
    payroll["job"]["facets"] = {
        "sql": {"query": f'INSERT INTO x SELECT sum(secret_salary) FROM "{SECRET_DATASET}"'}
    }
    return [
        _event("START", FIRST_RUN, 0, LOAD),
        _event("COMPLETE", FIRST_RUN, 3, LOAD, outputs=[_orders(ORDERS_V1)]),
        _event("START", SECOND_RUN, 30, LOAD),
        _event("COMPLETE", SECOND_RUN, 34, LOAD, outputs=[_orders(ORDERS_V2)]),
        check,
        mart,
        broken,
        secret_copy,
        payroll,
        _event("START", FAILED_RUN, 60, LOAD),
        failed,
    ]


# A viewer granted the warehouse and the orchestrator's jobs: the vault and its job are hidden.
LIMITED = Grants().narrowed([Grant(WAREHOUSE, "*"), Grant(ORCHESTRATOR, "*")])
