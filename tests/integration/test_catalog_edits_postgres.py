"""The catalog edits on PostgreSQL: its upserts, foreign keys and concurrent taggers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from governance.config import Settings
from governance.db import Database
from tests.builders import encode, mint_token
from tests.graph_events import fold
from tests.unit.test_catalog_edits import LOAD_PATH, RAW, TABLE, TABLE_PATH, WAREHOUSE, estate
from web import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_and_token(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """The app over a migrated PostgreSQL database holding the estate, and a read and write token."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("edits"),
        database_url=postgres_url,
        secret_key="edits",
        log_level="ERROR",
    )
    database = Database(settings.resolved_database_url)
    with database.session() as session:
        fold(session, estate())
    token = mint_token(database, settings, "read", "write")
    database.dispose()
    app = create_app(settings, enqueue=lambda *_: None)
    yield app, token
    app.extensions["headwater"].database.dispose()


def test_tags_and_soft_deletes_on_postgresql(app_and_token: tuple[Flask, str]) -> None:
    """Tag, describe, untag and delete answer as on SQLite; concurrent taggers of a new tag all succeed."""
    app, token = app_and_token
    headers = {"Authorization": f"Bearer {token}"}

    def post(path: str) -> int:
        return app.test_client().post(path, headers=headers).status_code

    paths = [
        f"{TABLE_PATH}/tags/brand-new",
        f"{LOAD_PATH}/tags/brand-new",
        f"{TABLE_PATH}/fields/email_hash/tags/brand-new",
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(post, paths * 4)) == [200] * 12

    client = app.test_client()
    table = client.get(TABLE_PATH, headers=headers).get_json()
    assert table["tags"] == ["brand-new", "gold"]
    assert next(f for f in table["fields"] if f["name"] == "email_hash")["tags"] == ["brand-new"]
    described = client.put("/api/v1/tags/brand-new", json={"description": "from a steward"}, headers=headers)
    assert described.get_json() == {"name": "brand-new", "description": "from a steward"}
    assert client.delete(f"{LOAD_PATH}/tags/brand-new", headers=headers).get_json()["tags"] == ["tier:1"]
    assert client.delete(f"{TABLE_PATH}/tags/gold", headers=headers).status_code == 409

    assert client.delete(TABLE_PATH, headers=headers).get_json()["deleted"] is True
    assert client.get(TABLE_PATH, headers=headers).status_code == 404
    graph = client.get(
        f"/api/v1/lineage?nodeId=dataset:{encode('s3://blob-sink')}:{encode(RAW)}&depth=3", headers=headers
    ).get_json()["graph"]
    assert f"dataset:{WAREHOUSE}:{TABLE}" not in {node["id"] for node in graph}
