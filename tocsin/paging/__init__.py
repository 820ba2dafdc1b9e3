"""Paging: escalation runs, pages, notifications, notices, acknowledgement.

Which file owns what: ``tables`` the tables, ``statements`` every write to them,
``runs`` the run's actions (decided by :mod:`tocsin.domain.escalation_run`),
``steps`` the step jobs, ``pages`` paging a person, ``delivery`` sending,
``subjects`` following alert groups and incidents, ``triggers`` what starts a run,
``jobs`` the job kinds.
"""
