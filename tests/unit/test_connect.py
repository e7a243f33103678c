"""The settings shown to connect a pipeline are the ones OpenLineage's own clients read."""

from __future__ import annotations

import json
import os
import shlex

import pytest
import yaml
from openlineage.client import OpenLineageClient

from governance.connect import client_environment, openlineage_yml, pipeline_setups

URL = "https://headwater.example:5000"
TOKEN = "hw_abc123"


def _http_transport(client: OpenLineageClient) -> tuple[str, str, str]:
    transport = client.transport
    config = transport.config  # type: ignore[attr-defined]  # HttpTransport keeps its config
    return config.url, config.endpoint, config.auth.get_bearer()


def test_openlineage_yml_configures_the_python_client_for_this_server() -> None:
    """The client built from the file posts to our ingest endpoint with our token."""
    client = OpenLineageClient(config=yaml.safe_load(openlineage_yml(URL + "/", TOKEN)))
    assert _http_transport(client) == (URL, "api/v1/lineage", f"Bearer {TOKEN}")


def test_the_environment_configures_the_python_client_for_this_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OPENLINEAGE_URL, _ENDPOINT and _API_KEY as the client reads them."""
    for name in [n for n in os.environ if n.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(name)
    for name, value in client_environment(URL, TOKEN, "streaming").items():
        monkeypatch.setenv(name, value)
    assert _http_transport(OpenLineageClient()) == (URL, "api/v1/lineage", f"Bearer {TOKEN}")


def test_every_integration_is_filled_with_the_url_and_the_token() -> None:
    """Airflow, Spark, dbt, Flink and plain clients each get the server and the token."""
    setups = {s.key: s for s in pipeline_setups(URL, TOKEN, namespace="plays")}
    assert set(setups) == {"airflow", "spark", "dbt", "flink", "client"}
    for setup in setups.values():
        text = "".join(snippet.text for snippet in setup.snippets)
        assert URL in text and TOKEN in text, setup.key
    airflow = setups["airflow"].snippets[0].text
    transport = json.loads(shlex.split(airflow.splitlines()[0].removeprefix("export "))[0].split("=", 1)[1])
    assert transport["auth"] == {"type": "api_key", "apiKey": TOKEN}
    assert "spark.openlineage.transport.auth.apiKey=hw_abc123" in setups["spark"].snippets[0].text


def test_shell_snippets_quote_what_the_shell_would_split() -> None:
    """A token or namespace with shell metacharacters stays one word."""
    setup = next(s for s in pipeline_setups(URL, "hw_$(reboot)", namespace="a b") if s.key == "dbt")
    words = shlex.split(setup.snippets[0].text)
    assert "OPENLINEAGE_API_KEY=hw_$(reboot)" in words and "OPENLINEAGE_NAMESPACE=a b" in words
