"""The console's templates and what every page is given.

Times are shown in the viewer's time zone with the UTC instant on hover
(``{{ at | when(viewer) }}``), ages as "3 h 5 min" (``{{ since | age(now) }}``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from tocsin.console.viewer import Viewer

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def when(at: datetime | None, viewer: Viewer, style: str = "full") -> Markup:
    """``at`` as a ``<time>`` element: local to the viewer, UTC in its title."""
    if at is None:
        return Markup("<span class='muted'>never</span>")
    utc = _aware(at).astimezone(UTC)
    local = utc.astimezone(viewer.zone)
    shown = local.strftime("%H:%M" if style == "time" else "%a %d %b %Y %H:%M")
    zone = local.tzname() or ""
    return Markup('<time datetime="{}" title="{} UTC">{} {}</time>').format(
        utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M:%S"), shown, zone
    )


def duration(span: timedelta) -> str:
    """A span in the two largest units that matter: "2 d 4 h", "3 h 5 min", "40 s"."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def age(since: datetime | None, now: datetime) -> str:
    return "" if since is None else duration(_aware(now) - _aware(since))


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


templates.env.filters["when"] = when
templates.env.filters["age"] = age
templates.env.filters["duration"] = duration
templates.env.globals["plural"] = plural


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a console page; ``viewer`` None for the pages seen before signing in."""
    values: dict[str, Any] = {
        "viewer": viewer,
        "csrf_token": viewer.csrf_token if viewer else None,
        "section": template.split("/", 1)[0] if "/" in template else "",
    }
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)
