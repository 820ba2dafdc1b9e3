"""The formal declaration path that SEV1 and SEV2 incidents always go through.

Declaring an incident at one of the two most severe configured levels, or
raising one into them, queues an ``incident.declared`` job in the same
transaction (once per incident and level: the job's idempotency key says so).
The job runs every registered declaration hook, then records on the timeline
that formal declaration ran. Capabilities add hooks (war rooms, paging),
which the composition root hands to the handler (:class:`FormalDeclaration`).
Telling a level's stakeholders is not a hook: every level does that
(:mod:`tocsin.incidents.stakeholders`).

Hooks run inside the job's finishing transaction, so what they write to the
database (typically jobs of their own: a page, a chat message) commits exactly
once, together with the job's completion and its timeline entry. A hook that
raises makes the whole job retry later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.refusals import NotFound
from tocsin.domain.severity import SeverityLevel, level_key
from tocsin.domain.timeline import EntryDraft, EntryKind
from tocsin.engine import jobs
from tocsin.engine.kinds import JobKind
from tocsin.engine.registry import HandlerRegistry, JobContext, PermanentFailure
from tocsin.incidents import configured, recorder, records
from tocsin.incidents.tables import Incident


@dataclass(frozen=True)
class DeclarationDue:
    """The job's payload: formally declare incident ``incident_id`` at ``level`` (its label)."""

    incident_id: int
    level: str


INCIDENT_DECLARED = JobKind("incident.declared", DeclarationDue)
#: The author of timeline entries Tocsin writes itself.
SYSTEM_AUTHOR = "tocsin"


@dataclass(frozen=True)
class Declaration:
    """What a hook is told: which incident was formally declared, at which level."""

    incident_id: int
    reference: str
    title: str
    level: SeverityLevel
    drill: bool
    at: datetime


@dataclass(frozen=True)
class Hook:
    """A named step of formal declaration; the name goes on the timeline."""

    name: str
    run: Callable[[Session, Declaration], None]


def idempotency_key(incident_id: int, level: str) -> str:
    return f"{INCIDENT_DECLARED.name}:{incident_id}:{level_key(level)}"


def enqueue(session: Session, incident: Incident, level: SeverityLevel, now: datetime) -> bool:
    """Queue formal declaration of ``incident`` at ``level`` unless it was already queued."""
    return jobs.enqueue(
        session,
        INCIDENT_DECLARED,
        DeclarationDue(incident_id=incident.id, level=level.level),
        now=now,
        idempotency_key=idempotency_key(incident.id, level.level),
    )


class FormalDeclaration:
    """The ``incident.declared`` job's handler and the hooks it runs, in order.

    The composition root builds one per handler registry with the hooks of
    the capabilities it wires (paging's), so no hook lives in a module global.
    """

    def __init__(self, hooks: Iterable[Hook] = ()) -> None:
        self.hooks: list[Hook] = []
        for hook in hooks:
            self.add_hook(hook)

    def add_hook(self, hook: Hook) -> None:
        """Run ``hook`` after those added before."""
        if any(each.name == hook.name for each in self.hooks):
            raise ValueError(f"a declaration hook named {hook.name!r} is already registered")
        self.hooks.append(hook)

    def remove_hook(self, name: str) -> None:
        self.hooks = [hook for hook in self.hooks if hook.name != name]

    def __call__(self, ctx: JobContext, payload: DeclarationDue) -> None:
        run(ctx, payload, tuple(self.hooks))


def run(ctx: JobContext, payload: DeclarationDue, hooks: Sequence[Hook]) -> None:
    """The ``incident.declared`` job: run the hooks, then say so on the timeline."""
    with ctx.transaction() as session:
        try:
            incident = records.find(session, str(payload.incident_id), lock=True)
        except NotFound as error:
            raise PermanentFailure(str(error)) from error
        scale = configured.scale(session)
        level = scale.get(payload.level)
        if level is None:
            raise PermanentFailure(f"severity {payload.level!r} is no longer configured")
        now = ctx.clock.now()
        declaration = Declaration(
            incident_id=incident.id,
            reference=incident.reference,
            title=incident.title,
            level=level,
            drill=incident.drill,
            at=now,
        )
        for hook in hooks:
            hook.run(session, declaration)
        ran = ", ".join(hook.name for hook in hooks) or "none registered"
        recorder.append(
            session,
            incident.id,
            EntryDraft(
                kind=EntryKind.DECLARED,
                text=f"Formal declaration ran for {level.level} ({level.name}); hooks: {ran}",
                author=SYSTEM_AUTHOR,
                details={"formal": "true", "level": level.level, "hooks": ran},
            ),
            now,
        )


def register(registry: HandlerRegistry, declaration: FormalDeclaration) -> None:
    registry.register(INCIDENT_DECLARED, declaration)
