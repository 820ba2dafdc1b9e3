"""Security headers on every response: no framing, no sniffing, no referrer, a strict CSP.

HTML pages get a Content-Security-Policy that allows scripts, styles, images
and fonts from Tocsin itself only (no inline script or style, no other
origin), forms that post back to Tocsin only, and no framing. Every other
answer (JSON, CSS, redirects) gets ``default-src 'none'``: it is never a
document to run.

A route that needs another policy (a page that loads a documented asset
bundle, say) sets its own ``Content-Security-Policy`` header: the middleware
adds each header only where the response has none, so the route's wins and
nothing is exempted silently.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The policy of Tocsin's own HTML pages: everything from 'self', nothing inline.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
#: The policy of everything that is not a page (API answers, static files, redirects).
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_CSP = b"content-security-policy"
_PAGE = PAGE_POLICY.encode()
_OTHER = OTHER_POLICY.encode()


def _with_defaults(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = list(headers)
    names = {name.lower(): value for name, value in present}
    added = [(name, value) for name, value in _COMMON if name not in names]
    if _CSP not in names:
        html = names.get(b"content-type", b"").lower().startswith(b"text/html")
        added.append((_CSP, _PAGE if html else _OTHER))
    return present + added


class SecurityHeaders:
    """ASGI middleware adding the headers above to each HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)
