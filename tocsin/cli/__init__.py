"""The ``tocsin`` command line."""

from __future__ import annotations

import typer

from tocsin.cli import accounts, config, db, incidents, jobs, serve, worker

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
app.command()(incidents.declare)
app.command()(incidents.classify)
app.add_typer(incidents.app, name="incident")


def main() -> None:
    app()
