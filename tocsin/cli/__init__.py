"""The ``tocsin`` command line."""

from __future__ import annotations

import typer

from tocsin.cli import (
    accounts,
    config,
    db,
    incidents,
    jobs,
    oncall,
    outbox,
    paging,
    serve,
    worker,
)
from tocsin.cli import alerts as alerts_cli

app = typer.Typer(
    name="tocsin",
    help="Tocsin: self-hosted incident management.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command()(serve.serve)
app.command()(worker.worker)
app.add_typer(db.app, name="db")
app.add_typer(config.app, name="config")
app.add_typer(accounts.users, name="user")
app.add_typer(accounts.tokens, name="token")
app.add_typer(jobs.app, name="jobs")
app.add_typer(oncall.app, name="oncall")
app.command()(incidents.declare)
app.command()(incidents.classify)
app.add_typer(incidents.app, name="incident")
app.command()(paging.ack)
app.add_typer(paging.escalation, name="escalation")
app.add_typer(paging.page, name="page")
app.command()(alerts_cli.report)
app.add_typer(alerts_cli.alerts, name="alert")
app.add_typer(alerts_cli.integrations, name="integration")
app.add_typer(alerts_cli.silences, name="silence")
app.add_typer(outbox.app, name="outbox")


def main() -> None:
    app()
