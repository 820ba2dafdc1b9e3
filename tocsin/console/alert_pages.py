"""One alert group's page, one alert's page, and acknowledging or resolving them.

Reads need a session; acknowledging and resolving need the responder role
and the form's CSRF token, and go through the same service the API calls
(:func:`tocsin.alerts.actions.act_on_group`, :func:`~tocsin.alerts.actions.act_on_alert`).
Each answers 303 to the page the form was on (its ``next`` field) or the
group's or alert's page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from tocsin.alerts import actions
from tocsin.alerts.configured import cache_for
from tocsin.alerts.presentation import MAX_SHOWN, events
from tocsin.alerts.tables import Alert, AlertEvent, AlertGroup
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn
from tocsin.domain import untrusted
from tocsin.domain.alert_lifecycle import Action
from tocsin.domain.refusals import NotFound
from tocsin.http.params import MAX_INTEGER
from tocsin.http.runtime import Runtime, RuntimeDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

GroupId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
AlertId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
Next = Annotated[str, Form(max_length=1000, alias="next")]
Note = Annotated[str, Form(max_length=2000)]
ACTIONS = {"acknowledge": Action.ACKNOWLEDGE, "resolve": Action.RESOLVE}


def _next(wanted: str, default: str) -> str:
    """Where to go after a write: a console alerts page, never another site."""
    if wanted.startswith("/alerts") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return default


def _action(name: str) -> Action:
    if name not in ACTIONS:
        raise NotFound(f"no action {name!r}; acknowledge or resolve")
    return ACTIONS[name]


@router.get("/alerts/groups/{group_id}", response_class=HTMLResponse)
def group_page(
    request: Request, group_id: GroupId, viewer: SignedIn, tocsin: RuntimeDep
) -> Response:
    with tocsin.database.sessions() as session:
        group = session.get(AlertGroup, group_id)
        if group is None:
            raise actions.GroupNotFound()
        members = list(
            session.scalars(
                select(Alert).where(Alert.group_id == group_id).order_by(Alert.id).limit(MAX_SHOWN)
            )
        )
        history = events(session, AlertEvent.group_id, group_id)
    return page(
        request,
        "alerts/group.html",
        viewer,
        {
            "group": group,
            "title": untrusted.text(group.title),
            "members": members,
            "history": history,
            "now": tocsin.clock.now(),
        },
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(
    request: Request, alert_id: AlertId, viewer: SignedIn, tocsin: RuntimeDep
) -> Response:
    with tocsin.database.sessions() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise actions.AlertNotFound()
        history = events(session, AlertEvent.alert_id, alert_id)
    return page(
        request,
        "alerts/alert.html",
        viewer,
        {
            "alert": alert,
            "summary": untrusted.text(alert.summary),
            "labels": untrusted.served(alert.labels),
            "annotations": untrusted.served(alert.annotations),
            "details": untrusted.served(alert.details),
            "links": _links(untrusted.served(alert.links)),
            "runbook": _safe_url(untrusted.optional_text(alert.runbook_url)),
            "history": history,
            "now": tocsin.clock.now(),
        },
    )


def _safe_url(url: str | None) -> str | None:
    """Only web links become links (no ``javascript:``)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def _links(served: object) -> list[tuple[str, str]]:
    """The alert's links as (text, href) for http(s) addresses."""
    found: list[tuple[str, str]] = []
    if not isinstance(served, list):
        return found
    for item in served:
        href = item.get("href") if isinstance(item, dict) else item
        text = item.get("text") if isinstance(item, dict) else None
        safe = _safe_url(href if isinstance(href, str) else None)
        if safe:
            found.append((str(text or safe), safe))
    return found


def _act_on_group(tocsin: Runtime, group_id: int, action: Action, actor: str, note: str) -> None:
    with tocsin.database.transaction() as session:
        alerting = cache_for(tocsin.database).get(session)
        actions.act_on_group(
            session, alerting, group_id, action, actor, note or None, tocsin.clock.now()
        )


@router.post("/alerts/groups/{group_id}/{action}")
def act_on_group(
    group_id: GroupId,
    action: str,
    viewer: Responding,
    tocsin: RuntimeDep,
    next_: Next = "",
    note: Note = "",
) -> Response:
    _act_on_group(tocsin, group_id, _action(action), viewer.name, note)
    target = _next(next_, f"/alerts/groups/{group_id}")
    return RedirectResponse(target, status_code=303)


@router.post("/alerts/{alert_id}/{action}")
def act_on_alert(
    alert_id: AlertId,
    action: str,
    viewer: Responding,
    tocsin: RuntimeDep,
    next_: Next = "",
    note: Note = "",
) -> Response:
    with tocsin.database.transaction() as session:
        alerting = cache_for(tocsin.database).get(session)
        actions.act_on_alert(
            session,
            alerting,
            alert_id,
            _action(action),
            viewer.name,
            note or None,
            tocsin.clock.now(),
        )
    return RedirectResponse(_next(next_, f"/alerts/{alert_id}"), status_code=303)
