"""Account roles and what each may do: viewers read, responders act, admins configure."""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "responder", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "responder", "admin")
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}


def allows(held: str, needed: Role) -> bool:
    """Whether an account with role ``held`` may do what needs ``needed``."""
    return _RANK.get(held, -1) >= _RANK[needed]


def parse_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise ValueError(f"role must be one of {', '.join(ROLES)}, got {value!r}")
