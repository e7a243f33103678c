"""The headwater CLI, driven with click's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.cli import cli
from governance.config import get_settings, load_settings
from governance.errors import ConfigurationError
from governance.schema_migrations import head_revision


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose settings point at a fresh embedded data directory."""
    monkeypatch.setenv("HEADWATER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HEADWATER_SECRET_KEY", "cli-test-pepper")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_db_upgrade_then_current_reports_head(runner: CliRunner) -> None:
    """db upgrade migrates an empty database; db current says so."""
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["db", "current"])
    assert result.exit_code == 0
    head = head_revision()
    assert f"database: {head}" in result.output and f"code: {head}" in result.output


def test_token_create_list_revoke(runner: CliRunner) -> None:
    """A token is printed once, listed by prefix, and revoked by id."""
    runner.invoke(cli, ["db", "upgrade"])
    created = runner.invoke(cli, ["token", "create", "--name", "spark", "--scope", "ingest"])
    assert created.exit_code == 0
    secret = created.stdout.strip()
    assert secret.startswith("hw_")
    listed = runner.invoke(cli, ["token", "list"])
    assert secret not in listed.output and secret[:10] in listed.output and "active" in listed.output
    assert runner.invoke(cli, ["token", "revoke", "1"]).exit_code == 0
    assert "revoked" in runner.invoke(cli, ["token", "list"]).output


def test_domain_errors_become_one_line_and_exit_1(runner: CliRunner) -> None:
    """A bad scope or a missing token id is a one-line error, not a traceback."""
    runner.invoke(cli, ["db", "upgrade"])
    bad_scope = runner.invoke(cli, ["token", "create", "--scope", "delete"])
    assert bad_scope.exit_code == 1
    assert "unknown scope 'delete'" in bad_scope.output and "Traceback" not in bad_scope.output
    missing = runner.invoke(cli, ["token", "revoke", "42"])
    assert missing.exit_code == 1 and "no API token with id 42" in missing.output


def test_doctor_fails_until_migrated_and_passes_after(runner: CliRunner) -> None:
    """doctor names the migrations problem and exits 1, then passes once migrated."""
    before = runner.invoke(cli, ["doctor"])
    assert before.exit_code == 1 and "headwater db upgrade" in before.output
    runner.invoke(cli, ["db", "upgrade"])
    after = runner.invoke(cli, ["doctor"])
    assert after.exit_code == 0, after.output
    assert "migrations:ok" in after.output.replace(" ", "")


def test_bad_setting_fails_fast_naming_the_variable(tmp_path: Path) -> None:
    """A wrong environment variable is named in the error; secrets can come from files."""
    with pytest.raises(ConfigurationError, match="HEADWATER_PORT"):
        load_settings({"HEADWATER_PORT": "not-a-port"})
    with pytest.raises(ConfigurationError, match="HEADWATER_SECRET_KEY_FILE"):
        load_settings({"HEADWATER_SECRET_KEY_FILE": str(tmp_path / "missing")})
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    assert load_settings({"HEADWATER_SECRET_KEY_FILE": str(secret)}).secret_key == "from-a-file"


def test_production_without_a_secret_key_is_refused() -> None:
    """Outside SQLite the pepper must be configured, not generated."""
    settings = load_settings({"HEADWATER_DATABASE_URL": "postgresql://db/headwater"})
    with pytest.raises(ConfigurationError, match="HEADWATER_SECRET_KEY"):
        settings.token_pepper()


def test_admin_create_user_prints_a_one_time_password_and_manages_grants(runner: CliRunner) -> None:
    """No default account: an admin is created from the terminal; grants are added and revoked by id."""
    runner.invoke(cli, ["db", "upgrade"])
    assert "ada@example.org" not in runner.invoke(cli, ["admin", "list-users"]).output
    created = runner.invoke(cli, ["admin", "create-user", "--email", "Ada@Example.org", "--role", "admin"])
    assert created.exit_code == 0, created.output
    one_time = created.stdout.strip()
    assert len(one_time) >= 12 and "shown once" in created.stderr
    given = runner.invoke(
        cli,
        ["admin", "create-user", "--email", "bo@example.org", "--role", "viewer", "--password-stdin"],
        input="correct horse battery staple\n",
    )
    assert given.exit_code == 0 and given.stdout == ""
    granted = runner.invoke(cli, ["admin", "grant", "bo@example.org", "--namespace", "s3://lake-*"])
    assert granted.exit_code == 0 and "s3://lake-* *" in granted.output
    listed = runner.invoke(cli, ["admin", "list-users"]).output
    assert (
        "ada@example.org\tadmin\tactive\tall datasets" in listed
        and "bo@example.org\tviewer\tactive\t1 grants" in listed
    )
    assert runner.invoke(cli, ["admin", "revoke-grant", "1"]).exit_code == 0
    disabled = runner.invoke(cli, ["admin", "disable-user", "bo@example.org"])
    assert disabled.exit_code == 0 and "disabled" in runner.invoke(cli, ["admin", "list-users"]).output
    last = runner.invoke(cli, ["admin", "disable-user", "ada@example.org"])
    assert last.exit_code == 1 and "last active admin" in last.output
    unknown = runner.invoke(cli, ["admin", "create-user", "--email", "x@example.org", "--role", "root"])
    assert unknown.exit_code == 1 and "unknown role 'root'" in unknown.output
