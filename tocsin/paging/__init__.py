"""Paging: escalation runs, pages, notifications, notices, acknowledgement.

Which file owns what: ``tables`` the tables, ``statements`` every write to them,
``runs`` the run's actions (decided by :mod:`tocsin.domain.escalation_run`),
``steps`` the step jobs, ``pages`` paging a person, ``delivery`` sending,
``subjects`` following alert groups and incidents, ``triggers`` what starts a run,
``jobs`` the job kinds, ``load_report`` (and its routes) the on-call load report,
which counts pages, ``handoff_notices`` telling both people of an on-call handoff.
"""
