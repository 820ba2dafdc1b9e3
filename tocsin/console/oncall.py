"""The console's oncall pages (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from tocsin.console.route import ConsoleRoute

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
