"""What the status page's console forms share: component status fields and choices.

A form lists components as pairs of fields in the same order: a hidden
``component`` (its name) and a ``component_status`` select whose empty value
means "leave it as it is". Names travel in fields, never in paths, because a
component's name may hold any character.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
