"""Configuration as code: YAML definitions validated with file, line and field, then applied.

The usual path::

    validation = validate_directory(directory, now=clock.now())
    if validation.ok:
        with database.transaction() as session:
            done = apply(session, validation.configuration, now=clock.now())

``plan(session, configuration)`` shows the same changes without making them;
``managed_by(session, kind, name)`` tells which file owns an object.
"""

from tocsin.config.apply import apply
from tocsin.config.desired import Configuration, DesiredDefinition, DesiredUser, Origin
from tocsin.config.errors import Issue, Level
from tocsin.config.ownership import managed_by
from tocsin.config.plan import Action, Change, FieldChange, Plan, plan
from tocsin.config.stored import severity_scale
from tocsin.config.validate import Validation, validate_directory, validate_sources

__all__ = [
    "Action",
    "Change",
    "Configuration",
    "DesiredDefinition",
    "DesiredUser",
    "FieldChange",
    "Issue",
    "Level",
    "Origin",
    "Plan",
    "Validation",
    "apply",
    "managed_by",
    "plan",
    "severity_scale",
    "validate_directory",
    "validate_sources",
]
