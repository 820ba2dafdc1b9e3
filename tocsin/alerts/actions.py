"""What people do to alerts from the API: acknowledge or resolve one alert, or a whole group.

Each runs in the caller's transaction and refuses with the tree's refusals:
:class:`AlertNotFound` and :class:`GroupNotFound` (404), and
:class:`AlertUnchanged` (409) for an alert already in the state asked for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import transitions
from tocsin.alerts.configured import Alerting
from tocsin.alerts.tables import Alert, AlertGroup
from tocsin.alerts.writer import Writer
from tocsin.domain.alert_lifecycle import Action, Change
from tocsin.domain.refusals import Conflict, NotFound


class AlertNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such alert")


class GroupNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such alert group")


class AlertUnchanged(Conflict):
    """The alert is already in the state asked for (or resolved)."""


def act_on_alert(
    session: Session,
    alerting: Alerting,
    alert_id: int,
    action: Action,
    actor: str,
    note: str | None,
    now: datetime,
) -> Alert:
    """Acknowledge or resolve one alert; the alert as it is now."""
    if session.get(Alert, alert_id) is None:
        raise AlertNotFound()
    writer = Writer(session, alerting, now)
    change = transitions.act(writer, alert_id, action, actor, note)
    writer.flush()
    if change is Change.NOTHING:
        row = session.get(Alert, alert_id)
        assert row is not None
        raise AlertUnchanged(f"alert {alert_id} is {row.status}; it cannot be {action.value}d")
    session.expire_all()
    row = session.get(Alert, alert_id)
    assert row is not None
    return row


def act_on_group(
    session: Session,
    alerting: Alerting,
    group_id: int,
    action: Action,
    actor: str,
    note: str | None,
    now: datetime,
) -> AlertGroup:
    """Acknowledge every triggered alert of a group, or resolve every open one; the group now."""
    if session.get(AlertGroup, group_id) is None:
        raise GroupNotFound()
    query = select(Alert.id).where(Alert.group_id == group_id).order_by(Alert.id)
    if action is Action.ACKNOWLEDGE:
        query = query.where(Alert.status == "triggered")
    else:
        query = query.where(Alert.status != "resolved")
    writer = Writer(session, alerting, now)
    for alert_id in list(session.scalars(query)):
        transitions.act(writer, alert_id, action, actor, note)
    writer.flush()
    session.expire_all()
    row = session.get(AlertGroup, group_id)
    assert row is not None
    return row
