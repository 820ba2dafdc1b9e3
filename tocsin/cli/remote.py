"""Talking to a running Tocsin over HTTP, for commands that act on incidents.

Commands that change incidents go through the server's API rather than the
database, so they get the same checks, timeline entries and durable jobs as
any other client. The server is ``--url`` / ``TOCSIN_URL`` and the caller's
API token ``--token`` / ``TOCSIN_TOKEN``. Every failure ends the command with
one clear line and exit status 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import httpx
import typer

from tocsin.cli.common import fail

DEFAULT_URL = "http://127.0.0.1:8080"

UrlOption = Annotated[
    str,
    typer.Option(
        "--url", envvar="TOCSIN_URL", help="Where Tocsin is served.", show_default=DEFAULT_URL
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="TOCSIN_TOKEN",
        help="API token (create one with: tocsin token create --user NAME).",
        show_default=False,
    ),
]

_HINTS = {
    401: "not authenticated",
    403: "not allowed",
    404: "not found",
    409: "refused",
    422: "invalid input",
}


def describe_detail(detail: object) -> str:
    """The server's ``detail``: a sentence, or FastAPI's list of field errors."""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                location = [str(p) for p in item.get("loc", []) if p not in ("body", "query")]
                prefix = ".".join(location)
                parts.append(f"{prefix}: {item.get('msg', '')}" if prefix else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


@dataclass(frozen=True)
class Remote:
    url: str
    token: str | None
    timeout: float = 30.0

    def _fail(self, response: httpx.Response) -> NoReturn:
        try:
            detail = describe_detail(response.json().get("detail", response.text))
        except ValueError:
            detail = response.text.strip() or response.reason_phrase
        hint = _HINTS.get(response.status_code, f"HTTP {response.status_code}")
        if response.status_code == 401 and not self.token:
            detail += " (pass --token or set TOCSIN_TOKEN)"
        fail(f"{hint}: {detail}")

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request; exit with a clear message unless the answer is 2xx."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.request(
                method,
                self.url.rstrip("/") + path,
                json=json,
                params={k: v for k, v in (params or {}).items() if v is not None},
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.ConnectError as error:
            if "CERTIFICATE_VERIFY_FAILED" in str(error):
                fail(
                    f"cannot reach Tocsin at {self.url}: its TLS certificate is not trusted "
                    "(set SSL_CERT_FILE to the certificate, or to the CA that signed it)"
                )
            fail(f"cannot reach Tocsin at {self.url}: connection refused (is the server running?)")
        except httpx.TimeoutException:
            fail(f"Tocsin at {self.url} did not answer within {self.timeout:g} s")
        except httpx.HTTPError as error:
            fail(f"cannot talk to Tocsin at {self.url}: {error}")
        if response.is_error:
            self._fail(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body).json()

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body).json()

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params=params).json()
