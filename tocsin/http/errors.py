"""How the API answers a request it cannot validate: 422 naming each field, echoing little.

FastAPI's own answer repeats every invalid value whole: a megabyte string comes
back as a megabyte, and a lone surrogate (``"\\ud800"``, which JSON allows and
UTF-8 cannot encode) makes the answer itself fail. Here each value is cut to
:data:`MAX_ECHO` characters and surrogates are shown as ``\\udXXX`` text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

#: The most characters of an invalid value, or of a field name, an error repeats.
MAX_ECHO = 200
#: The most characters of an error message.
MAX_MESSAGE = 1000


def text(value: str, limit: int = MAX_ECHO) -> str:
    """``value`` with lone surrogates written as ``\\udXXX``, cut to ``limit`` characters."""
    clean = value.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(clean) <= limit:
        return clean
    return f"{clean[:limit]}... ({len(value)} characters)"


def _small(value: Any) -> Any:
    """A short value with every string made encodable (short: its depth is small too)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Mapping):
        return {text(str(key)): _small(item) for key, item in value.items()}
    if isinstance(value, Sequence):
        return [_small(item) for item in value]
    return value


def echo(value: Any) -> Any:
    """An invalid value as an error repeats it: itself when short, else the start of its JSON."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, int):
        return value if value.bit_length() < 64 else text(str(value))
    try:
        rendered = json.dumps(jsonable_encoder(value), ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        return text(repr(value))
    return _small(jsonable_encoder(value)) if len(rendered) <= MAX_ECHO else text(rendered)


def _error(error: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in error.items():
        if key == "loc":
            shown[key] = [part if isinstance(part, int) else text(str(part)) for part in value]
        elif key == "msg":
            shown[key] = text(str(value), MAX_MESSAGE)
        elif key == "input":
            shown[key] = echo(value)
        elif key == "ctx" and isinstance(value, Mapping):
            shown[key] = {name: echo(jsonable_encoder(item)) for name, item in value.items()}
        else:
            shown[key] = echo(value)
    return shown


async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
    """The 422 answer to a :class:`RequestValidationError`."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": [_error(error) for error in exc.errors()]},
        status.HTTP_422_UNPROCESSABLE_CONTENT,
    )
