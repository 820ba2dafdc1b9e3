"""Text and JSON from outside, made safe to store and to serve.

Two things a sender can put in a JSON string break the database or every
later answer that includes it: NUL (``\\u0000``), which PostgreSQL refuses in
text and in JSON, and lone UTF-16 surrogates (``\\ud800``), which are not
characters and cannot be written as UTF-8. One rule holds for every inbound
format: **each is replaced by U+FFFD, the replacement character**, and so is
every byte of a body that is not valid UTF-8. The alert is kept (a refusal
would lose the page); the damaged characters show where they were.

Containers nested deeper than :data:`MAX_DEPTH` levels are refused at the
door (:class:`TooDeep`), in the sender's own error format. What was stored
before these rules is served through :func:`served`, which applies the same
replacement and cuts deeper nesting short, so no stored row can break a read.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Deepest nesting of objects and arrays accepted; the body itself is level 1.
MAX_DEPTH = 32
REPLACEMENT = "\ufffd"
#: What :func:`served` shows in place of a value nested deeper than :data:`MAX_DEPTH`.
TOO_DEEP = f"(nested more than {MAX_DEPTH} levels deep)"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
#: The JSON escapes that write NUL or a surrogate.
_ESCAPED = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")

Path = tuple[str | int, ...]


class TooDeep(ValueError):
    """Objects or arrays nest deeper than :data:`MAX_DEPTH`; ``path`` leads to the first one."""

    def __init__(self, path: Path = ()) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.path = path


def text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD."""
    if value.isascii():
        return value.replace("\x00", REPLACEMENT) if "\x00" in value else value
    return _UNSAFE.sub(REPLACEMENT, value)


def optional_text(value: str | None) -> str | None:
    return None if value is None else text(value)


def cleaned(value: Any) -> Any:
    """A string made safe, anything else as it is (for a Pydantic ``BeforeValidator``)."""
    return text(value) if isinstance(value, str) else value


def _clean(value: Any, depth: int, cut: bool) -> Any:
    kind = type(value)
    if kind is str:
        return value if value.isascii() and "\x00" not in value else text(value)
    if kind is dict or kind is list or isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            if cut:
                return TOO_DEEP
            raise TooDeep()
        deeper = depth + 1
        if isinstance(value, dict):
            return {text(str(key)): _clean(item, deeper, cut) for key, item in value.items()}
        return [_clean(item, deeper, cut) for item in value]
    return value


def _too_deep(value: Any, depth: int = 0) -> Path | None:
    """The path to the first container nested deeper than the limit, if there is one."""
    if not isinstance(value, dict | list | tuple):
        return None
    if depth >= MAX_DEPTH:
        return ()
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found = _too_deep(item, depth + 1)
        if found is not None:
            return (text(key) if isinstance(key, str) else key, *found)
    return None


def document(value: Any) -> Any:
    """A parsed JSON value with every key and string made safe; one pass.

    Raises :class:`TooDeep` when objects and arrays nest deeper than
    :data:`MAX_DEPTH` levels.
    """
    try:
        return _clean(value, 0, cut=False)
    except TooDeep:
        raise TooDeep(_too_deep(value) or ()) from None


def parse(body: bytes) -> Any:
    """A JSON body as :func:`document` leaves it; bytes that are not UTF-8 become U+FFFD.

    Raises :class:`json.JSONDecodeError` for text that is not JSON and
    :class:`TooDeep` for nesting beyond the limit. The usual body costs no
    walk at all: NUL and surrogates can only come from ``\\u`` escapes (a raw
    NUL is not valid JSON, and decoding replaces undecodable bytes), and a
    body with at most :data:`MAX_DEPTH` brackets cannot nest deeper.
    """
    decoded = body.decode(json.detect_encoding(body), "replace")
    try:
        parsed = json.loads(decoded)
    except RecursionError:
        # Nested past the parser's own limit (about a thousand levels).
        raise TooDeep() from None
    if _ESCAPED.search(decoded) is not None:
        return document(parsed)
    if decoded.count("{") + decoded.count("[") > MAX_DEPTH:
        path = _too_deep(parsed)
        if path is not None:
            raise TooDeep(path)
    return parsed


def served(value: Any) -> Any:
    """A stored JSON value safe to answer with: unsafe characters replaced, deep nesting cut."""
    return _clean(value, 0, cut=True)
