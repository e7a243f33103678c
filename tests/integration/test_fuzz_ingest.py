"""No event a stranger can build gets a 5xx from ingest backed by PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.config import Settings
from governance.db import Database
from tests.builders import mint_token, run_event
from web import create_app

pytestmark = pytest.mark.integration

PATHS = [
    ("producer",),
    ("eventTime",),
    ("eventType",),
    ("schemaURL",),
    ("run", "runId"),
    ("run", "facets"),
    ("job", "namespace"),
    ("job", "name"),
    ("job", "facets"),
    ("inputs",),
    ("outputs",),
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def client(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, str]]:
    """An app over the module's PostgreSQL database, and an ingest token."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    app_settings = Settings(
        database_url=postgres_url, secret_key="fuzz", data_dir=data_dir, log_level="ERROR"
    )
    database = Database(postgres_url, pool_size=1)
    token = mint_token(database, app_settings, "ingest")
    database.dispose()
    app = create_app(app_settings, enqueue=lambda *_: None)
    yield app.test_client(), token
    app.extensions["headwater"].database.dispose()


def _replace(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


event_times = st.datetimes().map(lambda moment: moment.isoformat()) | st.builds(
    lambda moment, minutes: (
        f"{moment.isoformat()}{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"
    ),
    st.datetimes(),
    st.integers(-14 * 60, 14 * 60),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(PATHS), json_values)
def test_any_value_anywhere_is_accepted_or_refused_never_a_server_error(
    client: tuple[FlaskClient, str], path: tuple[str, ...], value: Any
) -> None:
    """Whatever value replaces a field, the answer is 201 or a 4xx problem."""
    app_client, token = client
    body = json.dumps(_replace(run_event(), path, value))
    response = app_client.post(
        "/api/v1/lineage",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.get_data(as_text=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event_times)
def test_any_event_time_is_stored_or_refused_never_a_server_error(
    client: tuple[FlaskClient, str], event_time: str
) -> None:
    """Times at the ends of the calendar, with any offset, are a 201 or a 422."""
    app_client, token = client
    response = app_client.post(
        "/api/v1/lineage",
        json=run_event() | {"eventTime": event_time},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in {201, 422}, response.get_data(as_text=True)
