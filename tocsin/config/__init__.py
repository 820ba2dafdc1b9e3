"""Configuration as code: YAML definitions validated with file, line and field, then applied.

The usual path::

    validation = validate_directory(directory, CONFIG_KINDS, now=clock.now())
    if validation.ok:
        with database.transaction() as session:
            done = apply(session, validation.configuration, now=clock.now())

This package knows no capability: the kinds (which top-level keys a file may
have, how each is read and cross-checked) are registered by the capabilities'
``config_kinds`` modules and assembled by the composition root into
:data:`tocsin.app.config_kinds.CONFIG_KINDS`.

``plan(session, configuration)`` shows the same changes without making them;
``managed_by(session, kind, name)`` tells which file owns an object.
"""

from tocsin.config.apply import apply
from tocsin.config.catalog import Kind
from tocsin.config.desired import Configuration, DesiredDefinition, DesiredUser, Origin
from tocsin.config.errors import Issue, Level
from tocsin.config.kinds import Kinds, KindSet
from tocsin.config.ownership import managed_by
from tocsin.config.plan import Action, Change, FieldChange, Plan, plan
from tocsin.config.validate import Validation, validate_directory, validate_sources

__all__ = [
    "Action",
    "Change",
    "Configuration",
    "DesiredDefinition",
    "DesiredUser",
    "FieldChange",
    "Issue",
    "Kind",
    "KindSet",
    "Kinds",
    "Level",
    "Origin",
    "Plan",
    "Validation",
    "apply",
    "managed_by",
    "plan",
    "validate_directory",
    "validate_sources",
]
