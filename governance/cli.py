"""``headwater ...``: thin click commands over governance functions."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from governance import schema_migrations
from governance.access import create_token, list_tokens, parse_scopes, provision_user, revoke_token
from governance.access.permissions import Role
from governance.clock import utcnow
from governance.config import Settings, get_settings
from governance.connect import openlineage_yml
from governance.db import Database
from governance.errors import GovernanceError
from governance.ingest.sender import Sender, SendResult, events_in_dir, events_in_text

F = TypeVar("F", bound=Callable[..., Any])


class HeadwaterGroup(click.Group):
    """Turns a domain error into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GovernanceError as err:
            raise click.ClickException(str(err)) from err


@click.group(cls=HeadwaterGroup)
@click.version_option(package_name="headwater")
def cli() -> None:
    """Headwater: data governance, lineage and observability."""


def _settings() -> Settings:
    return get_settings()


def _database() -> Database:
    return Database(_settings().resolved_database_url, pool_size=1)


def _apply_port(port: int | None) -> Settings:
    if port is not None:
        os.environ["HEADWATER_PORT"] = str(port)
        get_settings.cache_clear()
    return get_settings()


@cli.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to serve on (else HEADWATER_PORT, else 5000)."
)
@click.option("--demo", is_flag=True, help="Load the demo estate through the ingest API once ready.")
def up(port: int | None, demo: bool) -> None:
    """Start web, worker and beat together; Ctrl-C or SIGTERM stops them all."""
    from governance.launcher import Supervisor, child_environment, is_ready, services

    settings = _apply_port(port)
    schema_migrations.upgrade(settings.resolved_database_url)
    supervisor = Supervisor(services(settings), child_environment(settings))
    supervisor.start()
    base_url = f"http://127.0.0.1:{settings.port}"
    code = supervisor.wait(
        on_ready=lambda: _announce(settings, base_url, demo=demo), ready=lambda: is_ready(base_url)
    )
    sys.exit(code)


DEMO_ADMIN = "admin@headwater.demo"


def _announce(settings: Settings, base_url: str, *, demo: bool) -> None:
    with _database().session() as session:
        token = create_token(
            session,
            name="pipelines (minted by headwater up)",
            scopes=parse_scopes(["ingest", "read"]),
            pepper=settings.token_pepper(),
            now=utcnow(),
        )
    if demo:
        from governance.demo import demo_events

        sender = Sender(base_url, token.secret)
        results = list(sender.send_all(("demo", e) for e in demo_events(utcnow())))
        accepted = sum(1 for r in results if r.status_code == 201)
        click.echo(f"demo estate: {accepted} of {len(results)} events accepted")
        with _database().session() as session:
            admin = provision_user(session, email=DEMO_ADMIN, roles=frozenset({Role.ADMIN}), now=utcnow())
        click.echo(
            f"demo admin: sign in at {settings.resolved_public_url}/auth/login as {admin.info.email}\n"
            f"  one-time password (shown once, to change at first sign-in): {admin.one_time_password}"
        )
    url = settings.resolved_public_url
    click.echo(
        f"\nHeadwater is ready at {url}\n"
        f"  ingest token (shown once): {token.secret}\n"
        f"  point OpenLineage clients at it with this openlineage.yml:\n\n"
        + openlineage_yml(url, token.secret)
    )


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port to serve on.")
def web(port: int | None) -> None:
    """Run the web server alone (gunicorn)."""
    from governance.launcher import prepare_metrics_dir

    settings = _apply_port(port)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(prepare_metrics_dir(settings, "web")))
    os.execv(
        sys.executable, [sys.executable, "-m", "gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"]
    )


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (HEADWATER_WORKER_CONCURRENCY processes); extra arguments go to celery."""
    from governance.launcher import prepare_metrics_dir

    settings = _settings()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(prepare_metrics_dir(settings, "worker")))
    given = {"--concurrency", "-c"} & set(celery_args)
    concurrency = [] if given else ["--concurrency", str(settings.worker_concurrency)]
    argv = [sys.executable, "-m", "celery", "-A", "governance.tasks", "worker", *concurrency, *celery_args]
    os.execv(sys.executable, argv)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (one per deployment); extra arguments go to celery."""
    schedule = str(_settings().data_dir / "celerybeat-schedule")
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "governance.tasks",
            "beat",
            "--schedule",
            schedule,
            *celery_args,
        ],
    )


@cli.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    schema_migrations.upgrade(_settings().resolved_database_url, revision)
    click.echo(f"database at {schema_migrations.current_revision_at(_settings().resolved_database_url)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    schema_migrations.downgrade(_settings().resolved_database_url, revision)
    click.echo(f"database at {schema_migrations.current_revision_at(_settings().resolved_database_url)}")


@db.command("current")
def db_current() -> None:
    """Print the database's revision and the code's."""
    current = schema_migrations.current_revision_at(_settings().resolved_database_url)
    click.echo(f"database: {current or 'empty'}  code: {schema_migrations.head_revision()}")


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="ingest, read, write (edit tags, soft-delete datasets and jobs) or admin; repeatable.",
)
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Expire after this many days.")
def token_create(name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Mint a token and print its secret, which is not shown again."""
    now = utcnow()
    with _database().session() as session:
        created = create_token(
            session,
            name=name,
            scopes=parse_scopes(scopes),
            pepper=_settings().token_pepper(),
            now=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
    click.echo(created.secret)
    click.echo(
        f"token {created.info.id} ({', '.join(sorted(created.info.scopes))}): keep it, it is shown once",
        err=True,
    )


@token.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    with _database().session() as session:
        tokens = list_tokens(session)
    for info in tokens:
        state = "revoked" if info.revoked_at else "active"
        used = info.last_used_at.isoformat() if info.last_used_at else "never"
        click.echo(
            f"{info.id}\t{info.prefix}…\t{','.join(sorted(info.scopes))}\t{state}"
            f"\tlast used {used}\t{info.name}"
        )


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    with _database().session() as session:
        info = revoke_token(session, token_id=token_id, now=utcnow())
    click.echo(f"token {info.id} revoked")


from governance.cli_admin import admin  # noqa: E402  (the group defines its commands on import)

cli.add_command(admin)


@cli.group()
def events() -> None:
    """Send OpenLineage events to a server."""


def _url_option() -> Callable[[F], F]:
    return click.option(
        "--url",
        envvar="HEADWATER_URL",
        default=lambda: f"http://127.0.0.1:{_settings().port}",
        show_default="http://127.0.0.1:$HEADWATER_PORT",
        help="Server base URL.",
    )


def _token_option() -> Callable[[F], F]:
    return click.option("--token", envvar="HEADWATER_TOKEN", help="Ingest token (or HEADWATER_TOKEN).")


@events.command("send")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@_url_option()
@_token_option()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per event.")
def events_send(source: Any, url: str, token: str | None, as_json: bool) -> None:
    """Send the events in FILE (an event, an array, or JSON lines; '-' reads stdin)."""
    name = getattr(source, "name", "-")
    items = ((name, e) for e in events_in_text(source.read(), source=name))
    _report(Sender(url, token).send_all(items), total=None, as_json=as_json)


@events.command("replay")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_url_option()
@_token_option()
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON line per event (the default off a TTY)."
)
def events_replay(directory: Path, url: str, token: str | None, as_json: bool) -> None:
    """Send every event in the .json/.jsonl files under DIRECTORY, in path order."""
    items = list(events_in_dir(directory))
    _report(Sender(url, token).send_all(items), total=len(items), as_json=as_json)


def _report(results: Iterator[SendResult], *, total: int | None, as_json: bool) -> None:
    counts = {"accepted": 0, "refused": 0}
    show_bar = not as_json and sys.stdout.isatty() and total is not None
    if show_bar:
        with click.progressbar(results, length=total, label="sending") as bar:
            for result in bar:
                counts["accepted" if result.status_code < 300 else "refused"] += 1
                if result.status_code >= 300:
                    click.echo(f"\n{result.source}: {result.status_code} {result.detail}", err=True)
    else:
        for result in results:
            counts["accepted" if result.status_code < 300 else "refused"] += 1
            click.echo(
                json.dumps({"source": result.source, "status": result.status_code, "detail": result.detail})
            )
    click.echo(f"{counts['accepted']} accepted, {counts['refused']} refused", err=True)
    if counts["refused"]:
        sys.exit(1)


@cli.command()
def doctor() -> None:
    """Check configuration, database, migrations and broker; exit 1 if any fails."""
    from governance.readiness import check_readiness

    settings = _settings()
    click.echo(f"database: {settings.resolved_database_url.split('@')[-1]}")
    click.echo(f"broker:   {settings.resolved_broker_url.split('@')[-1]}")
    settings.token_pepper()
    click.echo("config:   ok")
    database = _database()
    result = check_readiness(database.engine, settings.resolved_broker_url)
    for name, ok in (
        ("database", result.database),
        ("migrations", result.migrations),
        ("broker", result.broker),
    ):
        click.echo(f"{name + ':':<11}{'ok' if ok else 'FAILED'}")
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    if not result.ready:
        sys.exit(1)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="headwater")
