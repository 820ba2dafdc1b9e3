"""Alerts: ingest, dedup, grouping, routing, silences, heartbeats, paging hand-over."""
