"""A postmortem in the seed's own format: postmortem-template.yaml's fields, exactly.

The seed's template (``examples/config/postmortem-template.yaml``) names the
fields a postmortem has: title, date, duration, authors, summary, impact
(users_affected, revenue_impact, error_budget_consumed), timeline (time,
event), contributing_factors and action_items (description, owner,
priority, due_date). :func:`as_template_yaml` writes a postmortem with those
fields and no others, so the file reads back as a ``postmortem:`` template
(impact fields nobody filled in are left out, as the seed leaves out what it
does not know).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML

from tocsin.postmortems.tables import ActionItem, Postmortem

#: The seed's impact fields.
IMPACT = ("users_affected", "revenue_impact", "error_budget_consumed")


def _item(item: ActionItem) -> dict[str, Any]:
    """An action item with the seed's fields: description, owner, priority, due_date."""
    shown: dict[str, Any] = {"description": item.description}
    if item.owner is not None:
        shown["owner"] = item.owner
    shown["priority"] = item.priority
    if item.due_date is not None:
        shown["due_date"] = item.due_date.isoformat()
    return shown


def as_template(postmortem: Postmortem, action_items: Sequence[ActionItem] = ()) -> dict[str, Any]:
    """The document's seed fields, in the seed's order."""
    content = postmortem.content
    impact = content.get("impact", {})
    return {
        "postmortem": {
            "title": content.get("title", ""),
            "date": content.get("date", ""),
            "duration": content.get("duration", ""),
            "authors": list(content.get("authors", [])),
            "summary": content.get("summary", ""),
            "impact": {key: impact[key] for key in IMPACT if impact.get(key) is not None},
            "timeline": [
                {"time": item["time"], "event": item["event"]}
                for item in content.get("timeline", [])
            ],
            "contributing_factors": list(content.get("contributing_factors", [])),
            "action_items": [_item(item) for item in action_items],
        }
    }


def as_template_yaml(postmortem: Postmortem, action_items: Sequence[ActionItem] = ()) -> str:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    out.write(f"# {postmortem.reference}: postmortem-template.yaml's fields\n")
    yaml.dump(as_template(postmortem, action_items), out)
    return out.getvalue()
