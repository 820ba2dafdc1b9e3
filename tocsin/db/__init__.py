"""The database.

Engine and sessions, the declarative base, column types, prepared statements, migrations and the
audit log.
"""
