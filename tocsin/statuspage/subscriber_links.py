"""The secrets of subscribers: their link secret and, for webhooks, their signing secret.

Every mail a subscriber gets carries links to confirm, manage and
unsubscribe, which work without a login: they carry the subscriber's *link
secret*. Tocsin must write those links into every later mail, yet stores
only the secret's SHA-256 (``token_hash``), so the secret is not random: it
is an HMAC-SHA256 of the subscriber's code keyed with the server's *link
key*. A stolen database alone forges no link; the key is needed.

The link key is ``TOCSIN_STATUS_LINK_KEY`` when set (several servers on
different hosts must share it), else the file ``status-link.key`` in the data
directory, made on first use. Changing it breaks every link already sent and
every webhook subscriber's signing secret.

A webhook subscriber's signing secret (``whsec_...``, the key of the
``X-Tocsin-Signature`` HMAC, see :mod:`tocsin.notify.webhook`) is derived the
same way, with another label, and shown once, when the subscriber is
created; listings show its first characters only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from tocsin.kernel.settings import Settings

KEY_ENV = "TOCSIN_STATUS_LINK_KEY"
KEY_FILE = "status-link.key"
_LINK_LABEL = b"tocsin status subscriber link:"
_WEBHOOK_LABEL = b"tocsin status subscriber webhook:"
WEBHOOK_SECRET_PREFIX = "whsec_"
#: How much of a secret listings show.
HINT_LENGTH = 10


def _read_or_make(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_urlsafe(48).encode()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(fresh)
    try:
        # A link fails if another process made the key meanwhile: its key wins.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_bytes().strip()


def link_key(settings: Settings) -> bytes:
    """The server's link key (see the module's documentation)."""
    configured = os.environ.get(KEY_ENV, "").strip()
    if configured:
        return configured.encode()
    return _read_or_make(Path(settings.data_dir) / KEY_FILE)


def _derive(key: bytes, label: bytes, code: str) -> str:
    digest = hmac.new(key, label + code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_secret(key: bytes, code: str) -> str:
    """The secret in the subscriber's links."""
    return _derive(key, _LINK_LABEL, code)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(stored_hash: str, secret: str) -> bool:
    """Whether ``secret`` is the one whose hash is stored (in constant time)."""
    return hmac.compare_digest(stored_hash.encode(), token_hash(secret).encode())


def webhook_secret(key: bytes, code: str) -> str:
    """The key a webhook subscriber's receiver checks signatures with."""
    return WEBHOOK_SECRET_PREFIX + _derive(key, _WEBHOOK_LABEL, code)


def hint(secret: str) -> str:
    """The first characters of a secret, for listings."""
    return secret[:HINT_LENGTH] + "…"


class Links:
    """The public addresses of one subscriber's pages, rooted at ``base``."""

    def __init__(self, base: str, code: str, secret: str) -> None:
        self.base = base.rstrip("/")
        self._root = f"{self.base}/status/subscribers/{code}"
        self._secret = secret

    @property
    def confirm(self) -> str:
        return f"{self._root}/confirm/{self._secret}"

    @property
    def manage(self) -> str:
        return f"{self._root}/manage/{self._secret}"

    @property
    def unsubscribe(self) -> str:
        return f"{self._root}/unsubscribe/{self._secret}"


def hide(text: str, secret: str) -> str:
    """``text`` with the link secret hidden (for the outbox, which never holds secrets)."""
    return text.replace(secret, "[token hidden]") if secret else text
