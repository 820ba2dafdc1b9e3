"""The status pages: the main one at ``/status`` and one per configured audience.

Each page shows some components (the main page: all of them) and may be
private: ``access: login`` asks for a Tocsin session, ``allow`` lists the IP
ranges that may read it. Everything a page publishes (HTML, JSON, feeds)
follows the same rule.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from tocsin.domain.refusals import NotFound
from tocsin.statuspage.config_schema import StatusPageSettings

#: The main page's slug.
MAIN = ""


@dataclass(frozen=True)
class Audience:
    slug: str
    title: str
    #: The component names it shows, or None for every component.
    components: frozenset[str] | None
    access: str
    allow: tuple[str, ...]

    @property
    def path(self) -> str:
        """Where the page lives: ``/status`` or ``/status/<slug>``."""
        return "/status" if self.slug == MAIN else f"/status/{self.slug}"

    @property
    def api_prefix(self) -> str:
        """Where its Statuspage-compatible API and feeds live."""
        return "" if self.slug == MAIN else f"/status/{self.slug}"

    def shows(self, component: str) -> bool:
        return self.components is None or component in self.components

    def admits(self, address: str | None, *, signed_in: bool) -> bool:
        """Whether a reader at ``address`` (signed in or not) may read the page."""
        if self.access == "login" and not signed_in:
            return False
        if not self.allow:
            return True
        if address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(network) for network in self.allow)


def audiences(settings: StatusPageSettings) -> list[Audience]:
    main = Audience(MAIN, settings.title, None, settings.access, tuple(settings.allow))
    return [main] + [
        Audience(page.slug, page.title, frozenset(page.components), page.access, tuple(page.allow))
        for page in settings.pages
    ]


def audience(settings: StatusPageSettings, slug: str) -> Audience:
    for found in audiences(settings):
        if found.slug == slug:
            return found
    raise NotFound(f"no status page {slug!r}")
