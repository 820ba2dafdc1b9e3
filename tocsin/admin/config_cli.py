"""``tocsin config``: validate, plan and apply a directory of configuration files.

The commands are built by :func:`commands` around the kinds the composition
root assembled (:data:`tocsin.app.config_kinds.CONFIG_KINDS`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from tocsin.cli.common import DatabaseUrlOption, DataDirOption, fail, open_database
from tocsin.config import Kinds, Validation, apply, plan, validate_directory
from tocsin.kernel.clock import SystemClock

DirectoryArgument = Annotated[
    Path,
    typer.Argument(
        help="Directory of *.yaml / *.yml files (subdirectories included).",
        show_default=False,
    ),
]


def _validated(directory: Path, kinds: Kinds, *, then: str = "") -> Validation:
    """Validate and print every issue on stderr; exit 1 when there are errors."""
    validation = validate_directory(directory, kinds, now=SystemClock().now())
    for issue in validation.issues:
        typer.echo(str(issue), err=True)
    if not validation.ok:
        count = len(validation.errors)
        typer.echo(f"{count} error{'s' if count != 1 else ''}{then}.", err=True)
        raise typer.Exit(1)
    return validation


def commands(kinds: Kinds) -> typer.Typer:
    """The ``tocsin config`` commands, validating with ``kinds``."""
    app = typer.Typer(
        help="Configuration as code: validate, plan and apply YAML definitions.",
        no_args_is_help=True,
    )

    @app.command()
    def validate(directory: DirectoryArgument) -> None:
        """Check the files: schema, names, references and fairness rules. No database needed."""
        validation = _validated(directory, kinds)
        configuration = validation.configuration
        definitions, users = len(configuration.definitions), len(configuration.users)
        typer.echo(
            f"Valid: {definitions} definition{'s' if definitions != 1 else ''} and "
            f"{users} user{'s' if users != 1 else ''} in {directory}."
        )

    @app.command("plan")
    def plan_command(
        directory: DirectoryArgument,
        data_dir: DataDirOption = None,
        database_url: DatabaseUrlOption = None,
    ) -> None:
        """Show what apply would create, change, adopt or remove, field by field."""
        validation = _validated(directory, kinds, then="; no plan was made")
        database = open_database(data_dir, database_url)
        try:
            with database.sessions() as session:
                result = plan(session, validation.configuration)
        finally:
            database.dispose()
        for line in result.lines():
            typer.echo(line)

    @app.command("apply")
    def apply_command(
        directory: DirectoryArgument,
        data_dir: DataDirOption = None,
        database_url: DatabaseUrlOption = None,
    ) -> None:
        """Make the database match the files, all or nothing, in one transaction."""
        validation = _validated(directory, kinds, then="; nothing was applied")
        database = open_database(data_dir, database_url)
        try:
            with database.transaction() as session:
                result = apply(session, validation.configuration, now=SystemClock().now())
        except SQLAlchemyError as error:
            fail(f"apply failed and was rolled back, nothing was changed: {error}")
        finally:
            database.dispose()
        for line in result.lines()[:-1]:
            typer.echo(line)
        typer.echo(result.applied_summary())

    return app
