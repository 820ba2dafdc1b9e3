"""What the status page's console forms share: component status fields and choices.

A form lists components as pairs of fields in the same order: a hidden
``component`` (its name) and a ``component_status`` select whose empty value
means "leave it as it is". Names travel in fields, never in paths, because a
component's name may hold any character.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form

from tocsin.console.viewer import Viewer
from tocsin.domain.refusals import Invalid
from tocsin.incidents.editing import Actor
from tocsin.statuspage import components as component_states
from tocsin.statuspage.components import Component
from tocsin.statuspage.config_schema import ComponentStatus
from tocsin.statuspage.public_pages import word

#: The component statuses a select offers, mildest first.
COMPONENT_STATUSES = tuple(status.value for status in ComponentStatus)
#: The impacts a person may choose (maintenance has its own).
IMPACTS = ("none", "minor", "major", "critical")


def actor(viewer: Viewer) -> Actor:
    return Actor(name=viewer.name, is_admin=viewer.is_admin, remote_addr=None)


def component_statuses(names: Sequence[str], statuses: Sequence[str]) -> dict[str, str]:
    """The statuses chosen in a form's component fields; unchanged ones left out."""
    if len(names) != len(statuses):
        raise Invalid("component_status", "give one status (or none) per component")
    chosen: dict[str, str] = {}
    for name, status in zip(names, statuses, strict=True):
        if not status:
            continue
        if name in chosen:
            raise Invalid("component", f"names {name!r} twice")
        chosen[name] = component_states.parse_status("component_status", status).value
    return chosen


@dataclass(frozen=True)
class ComponentRow:
    """One component in a form: its current status and what the form proposes."""

    name: str
    group: str
    status: ComponentStatus
    chosen: str


def rows(components: Iterable[Component], chosen: dict[str, str]) -> list[ComponentRow]:
    return [ComponentRow(c.name, c.group, c.status, chosen.get(c.name, "")) for c in components]


#: What every status page template is given besides its own values.
SHARED = {
    "word": word,
    "component_statuses": COMPONENT_STATUSES,
    "impacts": IMPACTS,
}


@dataclass(frozen=True)
class UpdateForm:
    """The fields an update form posts (publishing adds the public name)."""

    status: str
    body: str
    impact: str
    component: list[str]
    component_status: list[str]
    notify: bool

    def values(self) -> dict[str, Any]:
        """What was typed, to show the form again when it is refused."""
        chosen = dict(zip(self.component, self.component_status, strict=False))
        return {
            "status": self.status,
            "body": self.body,
            "impact": self.impact,
            "notify": self.notify,
            "components": {name: value for name, value in chosen.items() if value},
        }

    def payload(self) -> dict[str, Any]:
        """The API's request body for it (validated by the caller's model)."""
        return {
            "status": self.status,
            "body": self.body,
            "components": component_statuses(self.component, self.component_status),
            "notify": self.notify,
            "impact": self.impact or None,
        }


def update_form(
    status_: Annotated[str, Form(alias="status", max_length=20)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
    impact: Annotated[str, Form(max_length=10)] = "",
    component: Annotated[list[str], Form()] = [],  # noqa: B006
    component_status: Annotated[list[str], Form()] = [],  # noqa: B006
    notify: Annotated[bool, Form()] = False,
) -> UpdateForm:
    return UpdateForm(status_, body, impact, component, component_status, notify)


UpdateFields = Annotated[UpdateForm, Depends(update_form)]
