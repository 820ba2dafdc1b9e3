"""The browser fixtures (a real server, real Chromium) for every console test module."""

from tests.console.browser import browser, console_server

__all__ = ["browser", "console_server"]
