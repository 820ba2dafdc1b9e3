"""The ``tocsin`` command line."""

from __future__ import annotations

import typer

from tocsin.admin import account_cli as accounts
from tocsin.admin import config_cli as config
from tocsin.admin import db_cli as db
from tocsin.admin import job_cli as jobs
from tocsin.alerts import cli as alerts_cli
from tocsin.app import serve, worker
from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.incidents import cli as incidents
from tocsin.metrics import cli as metrics
from tocsin.notify import cli as outbox
from tocsin.oncall import cli as oncall
from tocsin.paging import cli as paging
from tocsin.postmortems import action_item_cli
from tocsin.postmortems import cli as postmortems
from tocsin.statuspage import cli as status_cli
from tocsin.statuspage import export_cli

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
app.add_typer(config.commands(CONFIG_KINDS), name="config")
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
app.add_typer(metrics.app, name="metrics")
status_cli.app.command("export")(export_cli.export_pages)
app.add_typer(status_cli.app, name="status")
app.add_typer(postmortems.app, name="postmortem")
app.add_typer(action_item_cli.app, name="action-item")


def main() -> None:
    app()
