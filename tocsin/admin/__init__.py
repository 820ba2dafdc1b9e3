"""Administration.

Users, API tokens, definitions, jobs, the audit log and the database, through the API and the
command line.
"""
