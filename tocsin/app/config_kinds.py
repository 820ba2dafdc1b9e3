"""Every kind configuration files may define: assembled here, at the composition root.

Each capability describes its part of the configuration format in its
``config_kinds`` module (a :class:`~tocsin.config.kinds.KindSet`: readers of
its top-level keys, its cross-checks, the people its objects name);
:mod:`tocsin.config` knows none of them. ``CONFIG_KINDS`` is what validation is
given (``validate_directory(directory, CONFIG_KINDS, now=...)``).

A new capability with configuration adds its kinds (in the place plans should
list them) and its set here.
"""

from __future__ import annotations

from tocsin.alerts.config_kinds import ALERTING_KINDS
from tocsin.alerts.config_schema import (
    ALERT_POLICY_KIND,
    AUTO_INCIDENT_RULE_KIND,
    INTEGRATION_KIND,
    MAINTENANCE_WINDOW_KIND,
    ROUTING_RULE_KIND,
)
from tocsin.config.kinds import Kinds
from tocsin.config.organisation import ORGANISATION_KINDS, SERVICE_KIND, TEAM_KIND
from tocsin.incidents.config_kinds import INCIDENT_KINDS
from tocsin.incidents.config_schema import (
    CHECKLIST_KIND,
    CLASSIFICATION_KIND,
    INCIDENT_FIELD_KIND,
    INCIDENT_ROLE_KIND,
    RESOLVE_POLICY_KIND,
    SEVERITY_KIND,
)
from tocsin.oncall.config_kinds import ONCALL_KINDS
from tocsin.oncall.config_schema import SCHEDULE_KIND
from tocsin.paging.config_kinds import PAGING_KINDS
from tocsin.paging.config_schema import (
    ESCALATION_POLICY_KIND,
    NOTIFICATION_RULES_KIND,
    PAGING_KIND,
)
from tocsin.postmortems.config_kinds import POSTMORTEM_KINDS
from tocsin.postmortems.config_schema import POSTMORTEM_TEMPLATE_KIND, POSTMORTEMS_KIND
from tocsin.postmortems.trackers import ISSUE_TRACKER_KIND
from tocsin.statuspage.config_kinds import STATUS_PAGE_KINDS
from tocsin.statuspage.config_schema import STATUS_PAGE_COMPONENT_KIND, STATUS_PAGE_KIND

CONFIG_KINDS = Kinds(
    # In the order plans list changes (users come last).
    kinds=(
        SEVERITY_KIND,
        INCIDENT_ROLE_KIND,
        TEAM_KIND,
        SCHEDULE_KIND,
        ESCALATION_POLICY_KIND,
        SERVICE_KIND,
        STATUS_PAGE_COMPONENT_KIND,
        STATUS_PAGE_KIND,
        POSTMORTEM_TEMPLATE_KIND,
        POSTMORTEMS_KIND,
        ISSUE_TRACKER_KIND,
        CLASSIFICATION_KIND,
        PAGING_KIND,
        NOTIFICATION_RULES_KIND,
        INTEGRATION_KIND,
        ALERT_POLICY_KIND,
        ROUTING_RULE_KIND,
        AUTO_INCIDENT_RULE_KIND,
        MAINTENANCE_WINDOW_KIND,
        CHECKLIST_KIND,
        RESOLVE_POLICY_KIND,
        INCIDENT_FIELD_KIND,
    ),
    # Implicit users are warned about at the first place that names them, looking in
    # this order: teams, escalation policies, schedules, postmortem templates.
    sets=(
        INCIDENT_KINDS,
        ORGANISATION_KINDS,
        PAGING_KINDS,
        ONCALL_KINDS,
        POSTMORTEM_KINDS,
        ALERTING_KINDS,
        STATUS_PAGE_KINDS,
    ),
)
