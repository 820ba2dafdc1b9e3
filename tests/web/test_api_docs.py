"""``/docs`` works offline: every asset comes from Tocsin itself, and no script is inline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

import tocsin.web

TEMPLATES = Path(tocsin.web.__file__).parent / "templates"


class Assets(HTMLParser):
    """The URLs a page loads, and the text of any inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if found.get("data-openapi-url"):
            self.urls.append(str(found["data-openapi-url"]))
        self._in_script = tag == "script" and "src" not in found

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def test_docs_and_everything_it_loads_come_from_tocsin(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = Assets()
    assets.feed(page.text)
    assert assets.inline_scripts == []
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets.urls)
    assert "/static/swagger-init.js" in assets.urls
    assert "/openapi.json" in assets.urls
    for url in assets.urls:
        assert url.startswith("/"), f"{url} is not served by Tocsin"
        assert client.get(url).status_code == 200, url
    init = client.get("/static/swagger-init.js").text
    assert not re.search(r"https?://", init)
    assert client.get("/redoc").status_code == 404


def test_no_page_loads_anything_from_elsewhere() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template.name
