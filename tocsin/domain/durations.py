"""Durations as people read them in messages: ``20 s``, ``5 min``, ``1 h 30 min``."""

from __future__ import annotations

from datetime import timedelta

_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def spoken(span: timedelta) -> str:
    """``span`` in whole seconds, largest units first, zero parts left out.

    ``timedelta(seconds=20)`` is ``20 s``, ``timedelta(minutes=90)`` is
    ``1 h 30 min``, ``timedelta(days=1, hours=2)`` is ``1 d 2 h``; no time
    at all is ``0 s``. A negative span is written with a minus sign.
    """
    seconds = round(span.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return sign + (" ".join(parts) or "0 s")
