"""The indexes the follow-up reports read, on the postmortems' tables (migration 0017).

They are declared here, on tables :mod:`tocsin.postmortems.tables` owns,
because only the metrics read by them; importing this module attaches them to
those tables (``tocsin.app.all_tables`` imports it, so the schema holds them).

- postmortems by due time, with what their state needs
  (:mod:`tocsin.metrics.postmortem_timeliness`);
- action items by creation time, with their team, status, due date, incident
  and finishing time (:mod:`tocsin.metrics.action_item_completion`).
"""

from __future__ import annotations

from sqlalchemy import Index

from tocsin.postmortems.tables import ActionItem, Postmortem

POSTMORTEMS_DUE = "ix_postmortems_due_metrics"
ACTION_ITEMS_CREATED = "ix_action_items_created_metrics"

INDEXES = (
    Index(
        POSTMORTEMS_DUE,
        Postmortem.due_at,
        Postmortem.published_at,
        Postmortem.required,
        Postmortem.incident_id,
    ),
    Index(
        ACTION_ITEMS_CREATED,
        ActionItem.created_at,
        ActionItem.team,
        ActionItem.status,
        ActionItem.due_date,
        ActionItem.incident_id,
        ActionItem.done_at,
    ),
)
