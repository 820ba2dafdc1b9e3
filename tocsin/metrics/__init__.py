"""Incident metrics: whether response is getting better."""
