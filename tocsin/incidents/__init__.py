"""Running incidents: the imperative shell around tocsin.domain's incident logic.

Each change to an incident happens in one transaction that applies a domain
decision, appends its timeline entry, writes the audit entry and queues any
durable job (formal declaration, telling stakeholders), so a committed change
always has its record.
"""
