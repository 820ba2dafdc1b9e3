"""Dry run: the exact timeline an escalation would follow if an alert fired and nobody answered.

Runs the same planning code as live escalations (:func:`tocsin.domain.escalation.plan`)
and the same notification rules, against the definitions in the database,
at simulated instants, without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.config import known_names
from tocsin.config.organisation import SERVICE_KIND
from tocsin.domain.escalation import StopReason, Urgency, plan
from tocsin.domain.notification_rules import plan_notifications
from tocsin.paging.config_schema import ESCALATION_POLICY_KIND
from tocsin.paging.directory import NOBODY, Directory, contact_methods
from tocsin.paging.refusals import NothingToPage


@dataclass(frozen=True)
class SimulatedNotification:
    method: str
    minute: float


@dataclass(frozen=True)
class SimulatedPerson:
    name: str
    notifications: tuple[SimulatedNotification, ...]


@dataclass(frozen=True)
class SimulatedTarget:
    target: str
    people: tuple[SimulatedPerson, ...]
    reason: str | None


@dataclass(frozen=True)
class SimulatedStep:
    number: int
    round: int
    at: datetime
    minute: float
    targets: tuple[SimulatedTarget, ...]


@dataclass(frozen=True)
class Simulation:
    policy: str
    start: datetime
    urgency: Urgency
    team: str | None
    steps: tuple[SimulatedStep, ...]
    ends: str


def _minutes(start: datetime, at: datetime) -> float:
    return round((at - start).total_seconds() / 60, 2)


def simulate(
    session: Session,
    policy_name: str | None,
    start: datetime,
    *,
    service: str | None = None,
    urgency: Urgency = Urgency.HIGH,
) -> Simulation:
    """Simulate ``policy_name``; None: the policy that pages for ``service``."""
    directory = Directory(session)
    if service is not None and directory.service(service) is None:
        raise NothingToPage(known_names.unknown_definition(session, SERVICE_KIND, service))
    if policy_name is None:
        if service is None:
            raise NothingToPage("name an escalation policy or a service")
        policy_name = directory.service_policy(service)
        if policy_name is None:
            raise NothingToPage(
                f"service {service!r} has no escalation policy: none of its own, none of its "
                "team's, and no paging.default_escalation_policy"
            )
    policy = directory.policy(policy_name)
    if policy is None:
        raise NothingToPage(
            known_names.unknown_definition(session, ESCALATION_POLICY_KIND, policy_name)
        )
    team = directory.owning_team(service, policy_name)
    outcomes, stopped = plan(policy, start, directory.resolver(team), urgency=urgency)
    steps = []
    for outcome in outcomes:
        targets = []
        for each in outcome.targets:
            people = []
            for name in each.people:
                user = directory.user(name)
                methods = contact_methods(user) if user is not None else []
                rules = directory.rules(user) if user is not None else None
                planned = plan_notifications(rules, methods, urgency, outcome.at)
                people.append(
                    SimulatedPerson(
                        name,
                        tuple(
                            SimulatedNotification(item.method.describe(), _minutes(start, item.at))
                            for item in planned
                        ),
                    )
                )
            targets.append(SimulatedTarget(each.target.describe(), tuple(people), each.reason))
        steps.append(
            SimulatedStep(
                number=outcome.step + 1,
                round=outcome.round,
                at=outcome.at,
                minute=_minutes(start, outcome.at),
                targets=tuple(targets),
            )
        )
    ends = {
        StopReason.EXHAUSTED: "then the policy is exhausted; pages stay open until acknowledged",
        StopReason.LOW_URGENCY: "then stops: low urgency is not escalated further",
    }.get(stopped, stopped.value)
    return Simulation(policy_name, start, urgency, team, tuple(steps), ends)


def _minute(value: float) -> str:
    return f"{value:g} min"


def render(simulation: Simulation) -> list[str]:
    """The timeline as lines of text, one per target and person."""
    lines = [
        f"Escalation policy {simulation.policy}, if an alert fired at "
        f"{simulation.start:%Y-%m-%d %H:%M} UTC ({simulation.urgency.value} urgency) "
        "and nobody acknowledged:"
    ]
    if simulation.team is not None:
        lines.append(f"Roles are those of team {simulation.team}.")
    for step in simulation.steps:
        repeat = f", repeat {step.round}" if step.round else ""
        lines.append(f"  {_minute(step.minute):>8}  step {step.number}{repeat}")
        for target in step.targets:
            if not target.people:
                reason = target.reason or NOBODY
                shown = reason if reason.startswith(NOBODY) else f"{NOBODY} ({reason})"
                lines.append(f"            {target.target}: {shown}")
                continue
            for person in target.people:
                how = ", ".join(f"{n.method} at {_minute(n.minute)}" for n in person.notifications)
                shown = f"{person.name} ({how or 'no contact method: the page would be dead'})"
                lines.append(f"            {target.target}: {shown}")
    lines.append(f"  {simulation.ends}")
    return lines
