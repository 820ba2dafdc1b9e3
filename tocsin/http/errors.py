"""The app's exception handlers, one per family of errors.

- :func:`invalid_request`: a request that fails validation, 422 naming each field.
- :func:`refused`: a capability's :class:`~tocsin.domain.refusals.Refusal`.
- :func:`database_unavailable`: a transaction the database refused, 503.

A 422 echoes little: FastAPI's own answer repeats every invalid value whole: a megabyte string comes
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

from tocsin.domain.refusals import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Refusal,
    Throttled,
    Unavailable,
)

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


#: The HTTP status of each kind of refusal (the first base class found wins).
REFUSAL_STATUS: tuple[tuple[type[Refusal], int], ...] = (
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Forbidden, status.HTTP_403_FORBIDDEN),
    (Conflict, status.HTTP_409_CONFLICT),
    (Invalid, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (Throttled, status.HTTP_429_TOO_MANY_REQUESTS),
    (Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def refusal_status(error: Refusal) -> int:
    """The HTTP status that answers ``error``."""
    for kind, code in REFUSAL_STATUS:
        if isinstance(error, kind):
            return code
    return status.HTTP_400_BAD_REQUEST


async def refused(_: Request, exc: Exception) -> JSONResponse:
    """The one answer to a :class:`Refusal`, whichever capability raised it.

    ``{"detail": message}``; for :class:`Invalid`, FastAPI's own shape of a
    validation error, naming the field: ``{"detail": [{"loc": [where,
    ...field], "msg": reason, "type": "value_error"}]}``. Throttled and
    unavailable answers carry ``Retry-After`` when they know it.
    """
    assert isinstance(exc, Refusal)
    code = refusal_status(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, Throttled | Unavailable) and exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Invalid):
        detail: Any = [
            {
                "loc": [exc.where, *exc.field.split(".")],
                "msg": text(exc.reason, MAX_MESSAGE),
                "type": "value_error",
            }
        ]
    else:
        detail = text(str(exc), MAX_MESSAGE)
    return JSONResponse({"detail": detail}, code, headers=headers or None)


#: Seconds a client is asked to wait before retrying when the database failed.
RETRY_AFTER_SECONDS = 5


def database_unavailable(_request: Request, _error: Exception) -> JSONResponse:
    """A request whose transaction the database refused or cancelled (a full or
    read-only disk, a restart, the statement timeout): nothing was stored, and
    the same request may well succeed in a moment."""
    return JSONResponse(
        {"detail": "The database is unavailable; nothing was stored. Retry later."},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
