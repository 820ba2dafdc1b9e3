"""The public subscription pages: sign up, confirm, choose components, unsubscribe.

- ``/status/subscribe`` (``/status/<slug>/subscribe`` for another page): a
  plain form (an email address, optionally some components). Whatever the
  address's state, the answer is the same page ("check your mail"), so the
  form tells no one who is subscribed. Sign-ups are limited per address and
  per client address (:data:`POLICY`, counted per process like logins).
- ``/status/subscribers/<code>/confirm/<secret>``: following the mail's link
  confirms, and shows the manage page.
- ``/status/subscribers/<code>/manage/<secret>``: pick components, or leave.
- ``/status/subscribers/<code>/unsubscribe/<secret>``: GET shows a button,
  POST unsubscribes; the same POST is the RFC 8058 one-click unsubscribe mail
  clients send (body ``List-Unsubscribe=One-Click``).
- ``/status/subscribers/webhooks``: what webhook receivers get and how they
  check signatures (``meta.documentation`` of every webhook).

None needs a login: the secret in the link is the proof. Everything works
without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError

from tocsin.auth.deps import remote_addr
from tocsin.auth.throttle import LoginThrottle, ThrottlePolicy
from tocsin.domain.refusals import Invalid, NotFound, Refusal
from tocsin.http.errors import refusal_status, text
from tocsin.http.runtime import runtime_of
from tocsin.statuspage import public_pages, subscriber_links, subscribers
from tocsin.statuspage.audiences import MAIN
from tocsin.statuspage.public_routes import editions, readable
from tocsin.statuspage.published import Edition
from tocsin.statuspage.tables import Subscriber


class PageRoute(APIRoute):
    """Refusals and bad form input answered with a page (same status), not JSON.

    What :class:`tocsin.console.route.ConsoleRoute` does for the console, for
    readers who are not signed in; the capability cannot use the console's.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Refusal as refused:
                return _refused(request, refusal_status(refused), text(str(refused), 500))
            except RequestValidationError as invalid:
                fields = ", ".join(str(fault.get("loc", ("",))[-1]) for fault in invalid.errors())
                return _refused(request, 422, f"Please fill in: {fields}.")
            except OperationalError:
                return _refused(request, 503, "We are busy; please try again shortly.")

        return answer


router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Sign-ups: 3 per email address and 10 per client address in an hour.
POLICY = ThrottlePolicy(per_user=3, per_address=10, window=timedelta(hours=1))
Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Code = Annotated[str, Path(pattern=r"^[a-z0-9]{1,16}$")]
Secret = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,100}$")]
Chosen = Annotated[list[str] | None, Form()]
SENT = (
    "Thank you. If this address can be subscribed, a mail is on its way to it: "
    "follow its link to confirm. Nothing is sent until you do."
)


def _throttle(request: Request) -> LoginThrottle:
    state = request.app.state
    found: LoginThrottle | None = getattr(state, "subscribe_throttle", None)
    if found is None:
        found = state.subscribe_throttle = LoginThrottle(POLICY)
    return found


def _render(template: str, edition: Edition, *, status: int = 200, **context: object) -> Response:
    links = public_pages.live_links(edition.snapshot.audience.path)
    body = public_pages.render(template, edition.snapshot, links, **context)
    headers = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
    return Response(body, status, media_type="text/html; charset=utf-8", headers=headers)


def _form(
    edition: Edition,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    email: str = "",
) -> Response:
    action = f"{edition.snapshot.audience.path}/subscribe"
    return _render(
        "subscribe.html",
        edition,
        status=status,
        action=action,
        notice=notice,
        error=error,
        email=email,
    )


def _sign_up(request: Request, slug: str, email: str, components: list[str] | None) -> Response:
    edition = readable(request, slug)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    throttle, address = _throttle(request), remote_addr(request)
    if throttle.refusal(email.strip().lower(), address, now) is not None:
        error = "Too many sign-ups from here or for this address. Try again in an hour."
        return _form(edition, status=429, error=error, email=email)
    throttle.failed(email.strip().lower(), address, now)
    key = subscriber_links.link_key(runtime.settings)
    try:
        with runtime.database.transaction() as session:
            page = subscribers.page_of(session, slug)
            subscribers.sign_up(session, page, email, components or None, key=key, now=now)
    except Invalid as refused:
        return _form(edition, status=422, error=refused.reason, email=email)
    return _form(edition, notice=SENT)


@router.get("/status/subscribe")
def main_form(request: Request) -> Response:
    return _form(readable(request, MAIN))


@router.post("/status/subscribe")
def main_sign_up(
    request: Request, email: Annotated[str, Form()], components: Chosen = None
) -> Response:
    return _sign_up(request, MAIN, email, components)


@router.get("/status/{slug}/subscribe")
def page_form(request: Request, slug: Slug) -> Response:
    return _form(readable(request, slug))


@router.post("/status/{slug}/subscribe")
def page_sign_up(
    request: Request, slug: Slug, email: Annotated[str, Form()], components: Chosen = None
) -> Response:
    return _sign_up(request, slug, email, components)


@router.get("/status/subscribers/webhooks")
def webhook_documentation(request: Request) -> Response:
    return _render("subscribe_webhooks.html", editions(request).current(MAIN))


def _edition(request: Request, slug: str) -> Edition:
    try:
        return editions(request).current(slug)
    except NotFound:
        return editions(request).current(MAIN)


def _refused(request: Request, status: int, message: str) -> Response:
    edition = editions(request).current(MAIN)
    return _render("subscribe_done.html", edition, status=status, message=message)


def _gone(request: Request) -> Response:
    edition = editions(request).current(MAIN)
    message = "This link is not valid any more: the subscription may have ended."
    return _render("subscribe_done.html", edition, status=404, message=message)


def _manage_page(
    request: Request, subscriber: Subscriber, secret: str, *, notice: str | None = None
) -> Response:
    edition = _edition(request, subscriber.page)
    chosen = set(subscriber.components or [])
    root = f"/status/subscribers/{subscriber.code}"
    return _render(
        "subscribe_manage.html",
        edition,
        subscriber=subscriber,
        every=subscriber.components is None,
        chosen=chosen,
        manage_url=f"{root}/manage/{secret}",
        unsubscribe_url=f"{root}/unsubscribe/{secret}",
        notice=notice,
    )


@router.get("/status/subscribers/{code}/confirm/{secret}")
def confirm(request: Request, code: Code, secret: Secret) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.database.transaction() as session:
            subscriber = subscribers.by_link(session, code, secret)
            subscribers.confirm(session, subscriber, runtime.clock.now())
            session.flush()
            session.expunge(subscriber)
    except NotFound:
        return _gone(request)
    return _manage_page(request, subscriber, secret, notice="Your subscription is confirmed.")


@router.get("/status/subscribers/{code}/manage/{secret}")
def manage(request: Request, code: Code, secret: Secret) -> Response:
    with runtime_of(request).database.sessions() as session:
        try:
            subscriber = subscribers.by_link(session, code, secret)
        except NotFound:
            return _gone(request)
        session.expunge(subscriber)
    return _manage_page(request, subscriber, secret)


@router.post("/status/subscribers/{code}/manage/{secret}")
def choose(request: Request, code: Code, secret: Secret, components: Chosen = None) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.database.transaction() as session:
            subscriber = subscribers.by_link(session, code, secret)
            subscribers.choose(session, subscriber, components or None)
            session.flush()
            session.expunge(subscriber)
    except NotFound:
        return _gone(request)
    except Invalid as refused:
        return _render(
            "subscribe_done.html", _edition(request, MAIN), status=422, message=refused.reason
        )
    return _manage_page(request, subscriber, secret, notice="Your choice is saved.")


@router.get("/status/subscribers/{code}/unsubscribe/{secret}")
def unsubscribe_form(request: Request, code: Code, secret: Secret) -> Response:
    with runtime_of(request).database.sessions() as session:
        try:
            subscriber = subscribers.by_link(session, code, secret)
        except NotFound:
            return _gone(request)
        page = subscriber.page
    return _render(
        "subscribe_unsubscribe.html",
        _edition(request, page),
        action=f"/status/subscribers/{code}/unsubscribe/{secret}",
    )


@router.post("/status/subscribers/{code}/unsubscribe/{secret}")
def unsubscribe(request: Request, code: Code, secret: Secret) -> Response:
    """The button's POST and RFC 8058's one-click POST alike; answered the same twice."""
    runtime = runtime_of(request)
    page = MAIN
    try:
        with runtime.database.transaction() as session:
            subscriber = subscribers.by_link(session, code, secret)
            page = subscriber.page
            subscribers.remove(
                session, subscriber, actor=subscribers.PUBLIC, now=runtime.clock.now()
            )
    except NotFound:
        pass
    message = "You are unsubscribed: no more updates will be sent to you."
    return _render("subscribe_done.html", _edition(request, page), message=message)
