"""Silences and maintenance windows: the list, silencing from an alert, expiring a silence.

Creating and expiring go through :mod:`tocsin.alerts.silences`, as the API
does, and need the responder role. The form to silence an alert comes
filled with the alert's labels as matchers (and ``__service__``), so that
exactly alerts like it are held back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.alerts import actions, silences
from tocsin.alerts.configured import cache_for
from tocsin.alerts.tables import Alert
from tocsin.auth.deps import remote_addr
from tocsin.console.alert_filters import split_matchers
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute
from tocsin.console.viewer import Responding, SignedIn
from tocsin.domain import untrusted
from tocsin.domain.matchers import Matcher, Operator
from tocsin.domain.refusals import Invalid
from tocsin.http.params import MAX_INTEGER
from tocsin.http.runtime import RuntimeDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

SilenceId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
AlertId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
#: The durations the form offers, and what they mean.
DURATIONS = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "1d": timedelta(days=1)}
Duration = Literal["1h", "4h", "1d", "custom"]
#: The longest custom silence, in minutes (90 days).
MAX_MINUTES = 90 * 24 * 60


@router.get("/alerts/silences", response_class=HTMLResponse)
def silences_page(
    request: Request, viewer: SignedIn, tocsin: RuntimeDep, expired: bool = False
) -> Response:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        rows = silences.listing(session, now=now, include_expired=expired)
        windows = cache_for(tocsin.database).get(session).maintenance_windows
    return page(
        request,
        "alerts/silences.html",
        viewer,
        {"silences": rows, "windows": windows, "now": now, "expired": expired},
    )


def prefilled(alert: Alert) -> list[str]:
    """Matchers for exactly this alert's labels and service."""
    labels = untrusted.served(alert.labels)
    found = [
        str(Matcher(name, Operator.EQUAL, str(value)))
        for name, value in sorted(labels.items())
        if isinstance(name, str) and name.isidentifier()
    ]
    return [*found, str(Matcher("__service__", Operator.EQUAL, alert.service))]


@router.get("/alerts/{alert_id}/silence", response_class=HTMLResponse)
def silence_form(
    request: Request, alert_id: AlertId, viewer: SignedIn, tocsin: RuntimeDep
) -> Response:
    with tocsin.database.sessions() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise actions.AlertNotFound()
        matchers = prefilled(alert)
        summary = untrusted.text(alert.summary)
    return page(
        request,
        "alerts/silence_form.html",
        viewer,
        {"alert": alert, "summary": summary, "matchers": "\n".join(matchers)},
    )


@router.post("/alerts/silences")
def create_silence(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    matchers: Annotated[str, Form(max_length=10_000)],
    comment: Annotated[str, Form(max_length=2000)],
    duration: Annotated[Duration, Form()] = "1h",
    custom_minutes: Annotated[int | None, Form(ge=1, le=MAX_MINUTES)] = None,
) -> Response:
    if duration == "custom":
        if custom_minutes is None:
            raise Invalid("custom_minutes", "give the silence's length in minutes")
        span = timedelta(minutes=custom_minutes)
    else:
        span = DURATIONS[duration]
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        row = silences.create(
            session,
            matchers=split_matchers(matchers),
            starts_at=now,
            ends_at=now + span,
            author=viewer.name,
            comment=comment,
            now=now,
            remote_addr=remote_addr(request),
        )
        silence_id = row.id
    return RedirectResponse(f"/alerts/silences#silence-{silence_id}", status_code=303)


@router.post("/alerts/silences/{silence_id}/expire")
def expire_silence(
    request: Request, silence_id: SilenceId, viewer: Responding, tocsin: RuntimeDep
) -> Response:
    with tocsin.database.transaction() as session:
        silences.expire(
            session,
            silence_id,
            actor=viewer.name,
            now=tocsin.clock.now(),
            remote_addr=remote_addr(request),
        )
    return RedirectResponse("/alerts/silences", status_code=303)
