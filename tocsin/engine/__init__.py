"""The durable job engine: every side effect is a job row, claimed, run, retried."""
