"""The Statuspage-compatible JSON of a snapshot (Statuspage's public "status API" v2).

Field names and shapes follow Statuspage's documentation, so dashboards,
bots and Grafana's Statuspage data source read Tocsin by changing a URL.
Components are grouped as Statuspage groups them: a group is a component
with ``group: true`` and the ids of its members; members carry its
``group_id``. Identifiers of components, groups and pages are stable hashes of
their names, so they survive restarts and exports.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tocsin.statuspage.components import Component, worst
from tocsin.statuspage.reading import Snapshot, Story, Update


def stable_id(kind: str, name: str) -> str:
    """A 12-character id for a named thing, the same on every server."""
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:12]


def component_id(name: str) -> str:
    return stable_id("component", name)


def timestamp(moment: datetime | None, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="milliseconds")


class Shapes:
    """Builds the JSON objects of one snapshot, links rooted at ``base_url``."""

    def __init__(self, snapshot: Snapshot, base_url: str) -> None:
        self.snapshot = snapshot
        self.zone = snapshot.zone
        self.base_url = base_url.rstrip("/")
        self.page_id = stable_id("page", snapshot.audience.slug)
        self._components = {component.name: component for component in snapshot.components}

    def page(self) -> dict[str, Any]:
        audience = self.snapshot.audience
        return {
            "id": self.page_id,
            "name": audience.title,
            "url": f"{self.base_url}{audience.path}",
            "time_zone": self.snapshot.settings.time_zone,
            "updated_at": timestamp(self.snapshot.updated_at, self.zone),
        }

    def status(self) -> dict[str, str]:
        return {"indicator": self.snapshot.indicator, "description": self.snapshot.description}

    def _component(
        self, component: Component, position: int, group_id: str | None
    ) -> dict[str, Any]:
        return {
            "id": component_id(component.name),
            "name": component.name,
            "status": component.status.value,
            "created_at": timestamp(component.created_at, self.zone),
            "updated_at": timestamp(component.changed_at, self.zone),
            "position": position,
            "description": component.description or None,
            "showcase": True,
            "start_date": component.created_at.astimezone(self.zone).date().isoformat(),
            "group_id": group_id,
            "page_id": self.page_id,
            "group": False,
            "only_show_if_degraded": component.only_show_if_degraded,
        }

    def components(self) -> list[dict[str, Any]]:
        """Groups and components in page order, as Statuspage lists them."""
        shown = self.snapshot.shown
        listed: list[dict[str, Any]] = []
        groups: dict[str, dict[str, Any]] = {}
        members: dict[str, list[Component]] = {}
        for component in shown:
            group_id = stable_id("group", component.group) if component.group else None
            if component.group and component.group not in groups:
                groups[component.group] = {"id": group_id, "name": component.group}
                members[component.group] = []
                listed.append(groups[component.group])
            if component.group:
                members[component.group].append(component)
            listed.append(self._component(component, len(listed) + 1, group_id))
        for name, group in groups.items():
            inside = members[name]
            first = min(component.created_at for component in inside)
            group.update(
                status=worst(component.status for component in inside).value,
                created_at=timestamp(first, self.zone),
                updated_at=timestamp(max(c.changed_at for c in inside), self.zone),
                position=listed.index(group) + 1,
                description=None,
                showcase=False,
                start_date=None,
                group_id=None,
                page_id=self.page_id,
                group=True,
                only_show_if_degraded=False,
                components=[component_id(component.name) for component in inside],
            )
        return listed

    def _update(self, update: Update, story: Story) -> dict[str, Any]:
        return {
            "id": update.code,
            "status": update.status,
            "body": update.body,
            "incident_id": story.code,
            "created_at": timestamp(update.created_at, self.zone),
            "updated_at": timestamp(update.created_at, self.zone),
            "display_at": timestamp(update.display_at, self.zone),
            "affected_components": [
                {
                    "code": component_id(str(item["name"])),
                    "name": item["name"],
                    "old_status": item["old_status"],
                    "new_status": item["new_status"],
                }
                for item in update.affected
            ],
            "deliver_notifications": update.notify,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def story(self, story: Story) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "id": story.code,
            "name": story.name,
            "status": story.status,
            "created_at": timestamp(story.created_at, self.zone),
            "updated_at": timestamp(story.updated_at, self.zone),
            "monitoring_at": timestamp(story.monitoring_at, self.zone),
            "resolved_at": timestamp(story.resolved_at, self.zone),
            "impact": story.impact,
            "shortlink": f"{self.base_url}{self.snapshot.audience.path}/incidents/{story.code}",
            "started_at": timestamp(story.started_at, self.zone),
            "page_id": self.page_id,
            "incident_updates": [self._update(update, story) for update in story.updates],
            "components": [
                self._component(self._components[name], 0, None)
                for name in story.components
                if name in self._components
            ],
        }
        if story.postmortem is not None:
            shaped["postmortem_body"] = story.postmortem.body
            shaped["postmortem_body_last_updated_at"] = timestamp(
                story.postmortem.updated_at, self.zone
            )
            shaped["postmortem_published_at"] = timestamp(story.postmortem.published_at, self.zone)
        if story.kind == "maintenance":
            shaped["scheduled_for"] = timestamp(story.scheduled_for, self.zone)
            shaped["scheduled_until"] = timestamp(story.scheduled_until, self.zone)
        return shaped

    def component_update(
        self, change_id: int, component: str, old: str, new: str, at: datetime
    ) -> dict[str, Any]:
        """Statuspage's ``component_update``: one change of a component's status."""
        return {
            "created_at": timestamp(at, self.zone),
            "new_status": new,
            "old_status": old,
            "id": stable_id("component_update", str(change_id)),
            "component_id": component_id(component),
        }

    def webhook_component(self, component: Component) -> dict[str, Any]:
        """The ``component`` of Statuspage's component update webhook, as it is now."""
        return {
            "created_at": timestamp(component.created_at, self.zone),
            "id": component_id(component.name),
            "name": component.name,
            "status": component.status.value,
        }

    def documents(self) -> dict[str, dict[str, Any]]:
        """Every endpoint's answer, by its path under ``/api/v2``."""
        page = self.page()
        stories = self.snapshot
        incidents = [self.story(story) for story in stories.incidents]
        unresolved = [self.story(story) for story in stories.unresolved]
        maintenances = [self.story(story) for story in stories.maintenances]
        upcoming = [self.story(story) for story in stories.upcoming]
        active = [self.story(story) for story in stories.in_progress]
        components = self.components()
        return {
            "summary.json": {
                "page": page,
                "components": components,
                "incidents": unresolved,
                "scheduled_maintenances": active + upcoming,
                "status": self.status(),
            },
            "status.json": {"page": page, "status": self.status()},
            "components.json": {"page": page, "components": components},
            "incidents.json": {"page": page, "incidents": incidents},
            "incidents/unresolved.json": {"page": page, "incidents": unresolved},
            "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": maintenances},
            "scheduled-maintenances/upcoming.json": {
                "page": page,
                "scheduled_maintenances": upcoming,
            },
            "scheduled-maintenances/active.json": {
                "page": page,
                "scheduled_maintenances": active,
            },
        }
