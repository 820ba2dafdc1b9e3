"""Validation: every kind's schema, messages for people, names, references, people, fairness."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.config import validate_directory
from tocsin.config.desired import DesiredUser
from tocsin.config.users import UserConfig
from tocsin.domain.severity import NEXT_BUSINESS_DAY
from tocsin.incidents.config_schema import SeverityConfig

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "config"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

SEED_WARNINGS = [
    "on-call-schedule.yaml:10: warning: schedule.week_1.primary: 'engineer-a' is not defined "
    "under users in any file; they get a user without contact methods and cannot be paged",
    "on-call-schedule.yaml:11: warning: schedule.week_1.secondary: 'engineer-b' is not defined "
    "under users in any file; they get a user without contact methods and cannot be paged",
    "on-call-schedule.yaml:14: warning: schedule.week_2.secondary: 'engineer-c' is not defined "
    "under users in any file; they get a user without contact methods and cannot be paged",
    "on-call-schedule.yaml:23: warning: schedule.escalation.chain[1].role: no team defines the "
    "role 'team_lead'; this step pages nobody until the team owning the alerting service does",
    "on-call-schedule.yaml:24: warning: schedule.escalation.chain[2].role: no team defines the "
    "role 'engineering_manager'; this step pages nobody until the team owning the alerting "
    "service does",
    "postmortem-template.yaml:51: warning: postmortem.action_items[2].owner: 'team-lead' is not "
    "defined under users in any file; they get a user without contact methods and cannot be paged",
]

#: Every top-level key a configuration file may have, as error messages list them.
ACCEPTED = ", ".join(sorted(CONFIG_KINDS.readers))


def issues(directory: Path, files: dict[str, str], now: datetime = NOW) -> list[str]:
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return [str(issue) for issue in validate_directory(directory, CONFIG_KINDS, now=now).issues]


def test_the_seed_files_validate_unchanged_with_warnings_only() -> None:
    validation = validate_directory(SEEDS, CONFIG_KINDS, now=NOW)
    assert validation.ok
    assert [str(issue) for issue in validation.issues] == SEED_WARNINGS
    assert validation.warnings == validation.issues
    names = [(d.kind, d.name, d.position) for d in validation.configuration.definitions]
    assert names == [
        ("severity", "SEV-1", 0),
        ("severity", "SEV-2", 1),
        ("severity", "SEV-3", 2),
        ("severity", "SEV-4", 3),
        ("incident_role", "incident_commander", 0),
        ("incident_role", "communications_lead", 1),
        ("incident_role", "operations_lead", 2),
        ("incident_role", "scribe", 3),
        ("schedule", "on-call-schedule", 0),
        ("escalation_policy", "on-call-schedule", 0),
        ("postmortem_template", "postmortem-template", 0),
    ]
    users = validation.configuration.users
    assert [(u.name, str(u.origin), u.implicit) for u in users] == [
        ("engineer-a", "on-call-schedule.yaml:10", True),
        ("engineer-b", "on-call-schedule.yaml:11", True),
        ("engineer-c", "on-call-schedule.yaml:14", True),
        ("team-lead", "postmortem-template.yaml:51", True),
    ]


@pytest.mark.parametrize("weeks", [0, 1, 2, 5, 11, 30])
def test_the_seed_schedule_is_fair_whenever_it_is_checked(weeks: int) -> None:
    validation = validate_directory(
        SEEDS, CONFIG_KINDS, now=NOW + timedelta(weeks=weeks, hours=weeks * 7)
    )
    assert validation.ok, validation.errors


def _seed_spec(kind: str, name: str) -> dict[str, object]:
    configuration = validate_directory(SEEDS, CONFIG_KINDS, now=NOW).configuration
    return next(d.spec for d in configuration.definitions if (d.kind, d.name) == (kind, name))


def test_severity_specs_keep_the_text_and_the_typed_values() -> None:
    assert _seed_spec("severity", "SEV-1") == {
        "level": "SEV-1",
        "name": "Critical",
        "description": "Complete service outage affecting all users",
        "response_time": {"text": "5 minutes", "seconds": 300, "next_business_day": False},
        "communication": {"text": "Every 15 minutes", "every_seconds": 900},
        "escalation": {"text": "VP of Engineering notified", "audience": ["vp_of_engineering"]},
        "examples": [
            "Production database is down",
            "Payment processing is completely broken",
            "Security breach detected",
        ],
    }
    low = SeverityConfig.model_validate(_seed_spec("severity", "SEV-4")).to_level(3)
    assert low.response_time.within is NEXT_BUSINESS_DAY
    assert low.communication.every == timedelta(days=1)
    assert low.escalation.roles == ()
    assert low.escalation.text == "None"
    assert low.rank == 3


def test_the_schedule_escalation_becomes_a_policy_named_after_the_schedule() -> None:
    assert _seed_spec("escalation_policy", "on-call-schedule") == {
        "description": "Escalation of schedule 'on-call-schedule', defined with the schedule.",
        "steps": [
            {
                "targets": [{"schedule": "on-call-schedule", "layer": "primary"}],
                "timeout_minutes": 5,
            },
            {
                "targets": [{"schedule": "on-call-schedule", "layer": "secondary"}],
                "timeout_minutes": 5,
            },
            {"targets": [{"role": "team_lead"}], "timeout_minutes": 5},
            {"targets": [{"role": "engineering_manager"}], "timeout_minutes": 5},
        ],
        "repeat": 0,
    }


def test_incident_roles_and_postmortem_specs() -> None:
    assert _seed_spec("incident_role", "scribe") == {
        "responsibilities": [
            "Record timeline of events",
            "Document actions taken and by whom",
            "Capture decisions and their rationale",
            "Prepare notes for the postmortem",
        ],
        "who": "Any available team member",
    }
    template = _seed_spec("postmortem_template", "postmortem-template")
    assert template["date"] == "2026-02-15"
    assert template["impact"] == {
        "users_affected": 12500,
        "revenue_impact": "$45,000",
        "error_budget_consumed": "35%",
    }
    assert template["action_items"] == [
        {
            "description": "Add query performance tests to CI",
            "owner": "engineer-c",
            "priority": "P1",
            "due_date": "2026-03-01",
        },
        {
            "description": "Reduce connection pool alert threshold",
            "owner": "engineer-a",
            "priority": "P1",
            "due_date": "2026-02-22",
        },
        {
            "description": "Enforce canary deployments for all releases",
            "owner": "team-lead",
            "priority": "P2",
            "due_date": "2026-03-15",
        },
    ]


def test_severity_errors(tmp_path: Path) -> None:
    assert issues(
        tmp_path,
        {
            "sev.yaml": """\
            severities:
              - level: SEV-1
                name: Critical
                response_time: "soon"
                communication: "Every 0 minutes"
                escalation: "Call the VP"
              - level: SEV1
                name: Also critical
                response_time: 5 minutes
                communication: Daily update
                escalation: None
              - name: Nameless
                response_time: [5]
                communication: Daily update
                escalation: None
                colour: red
            """,
        },
    ) == [
        'sev.yaml:4: severities[0].response_time: must be "<number> minutes|hours|days" '
        '(e.g. "5 minutes", "1 hour") or "Next business day", got \'soon\'',
        'sev.yaml:5: severities[0].communication: must be "Every <number> minutes|hours|days" '
        '(e.g. "Every 15 minutes"), "Every hour", "Hourly update", "Daily update" or '
        "\"Weekly update\", got 'Every 0 minutes'",
        'sev.yaml:6: severities[0].escalation: must be "<audience> notified" (e.g. "VP of '
        'Engineering notified", "Team lead and Engineering Manager notified") or "None", '
        "got 'Call the VP'",
        "sev.yaml:7: severities[1]: severity level 'SEV1' is also defined at sev.yaml:2",
        "sev.yaml:12: severities[2].level: is required",
        "sev.yaml:13: severities[2].response_time: must be text, got a list",
        "sev.yaml:16: severities[2].colour: unknown field; accepted fields are communication, "
        "description, escalation, examples, level, name, response_time",
    ]


def test_the_severity_scale_lives_in_one_file(tmp_path: Path) -> None:
    level = (
        "  - {level: S, name: x, response_time: 1 hour, communication: Daily, escalation: None}\n"
    )
    assert issues(
        tmp_path, {"a.yaml": "severities:\n" + level, "b.yaml": "severities:\n" + level}
    ) == [
        "b.yaml:1: severities: the severity scale must be defined in one file; "
        "already defined at a.yaml:1",
    ]


def test_unknown_top_level_keys_and_non_mapping_files(tmp_path: Path) -> None:
    assert issues(
        tmp_path, {"a.yaml": "teams: {}\nroutes: {}\n", "b.yaml": "- 1\n", "c.yaml": ""}
    ) == [
        f"a.yaml:2: routes: unknown top-level key; accepted keys are {ACCEPTED}",
        f"b.yaml:1: must be a mapping with top-level keys ({ACCEPTED})",
    ]


def test_container_shapes(tmp_path: Path) -> None:
    assert issues(
        tmp_path, {"a.yaml": "teams: [a]\nseverities: {a: 1}\nusers: 3\nclassification: [1]\n"}
    ) == [
        "a.yaml:1: teams: must be a mapping of teams by name, got a list",
        "a.yaml:2: severities: must be a list of severity levels, got a mapping",
        "a.yaml:3: users: must be a mapping of users by name, got 3",
        "a.yaml:4: classification: must be a mapping of thresholds, got a list",
    ]


def test_incident_roles_must_be_known_roles(tmp_path: Path) -> None:
    assert issues(
        tmp_path,
        {
            "roles.yaml": """\
            roles:
              technical_lead: {who: Anyone}
              operations_lead: {}
              chief_of_vibes: {}
            """,
        },
    ) == [
        "roles.yaml:3: roles.operations_lead: incident role 'operations_lead' is also defined "
        "at roles.yaml:2",
        "roles.yaml:4: roles.chief_of_vibes: invalid name: unknown role 'chief_of_vibes'; expected "
        "one of: incident_commander, communications_lead, operations_lead, scribe, responder, "
        "subject_matter_expert, technical_lead",
    ]


USERS = """\
users:
  alice:
    full_name: Alice Liddell
    email: alice@example.com
    time_zone: Europe/Pariss
    role: boss
    contact_methods:
      - type: email
        address: not-an-email
      - type: sms
        address: "015112345678"
      - type: pager
        address: x
      - type: webhook
        address: https://example.com/hook
      - type: slack
        address: "#oncall"
        url: https://hooks.slack.com/x
      - type: apprise
        url: not a url
    working_hours: {days: [mon, Funday], start: "18:00", end: "09:00"}
  "bad name": {}
"""


def test_user_errors(tmp_path: Path) -> None:
    assert issues(tmp_path, {"users.yaml": USERS}) == [
        "users.yaml:5: users.alice.time_zone: must be an IANA time zone such as 'Europe/Berlin' "
        "or 'UTC', got 'Europe/Pariss' (did you mean 'Europe/Paris'?)",
        "users.yaml:6: users.alice.role: must be one of 'viewer', 'responder' or 'admin', "
        "got 'boss'",
        "users.yaml:9: users.alice.contact_methods[0].address: must be an email address like "
        "alice@example.com, got 'not-an-email'",
        "users.yaml:11: users.alice.contact_methods[1].address: must be a phone number in "
        "international form like +15551234567, got '015112345678'",
        "users.yaml:12: users.alice.contact_methods[2].type: must be one of 'email', 'sms', "
        "'voice', 'push', 'slack', 'teams', 'telegram', 'ntfy', 'webhook' or 'apprise', "
        "got 'pager'",
        "users.yaml:15: users.alice.contact_methods[3].address: a webhook contact method takes "
        "a url, not an address",
        "users.yaml:16: users.alice.contact_methods[4]: a slack contact method needs exactly "
        "one address or url",
        "users.yaml:20: users.alice.contact_methods[5].url: must be an Apprise URL like "
        "tgram://token/chat, got 'not a url'",
        "users.yaml:21: users.alice.working_hours.days[1]: must be a day of the week like "
        "Monday or mon, got 'Funday'",
        "users.yaml:22: users.bad name: invalid name: must be a user name: letters, digits and "
        ". _ - @ +, starting with a letter or digit, at most 100 characters; got 'bad name'",
    ]


def test_users_as_a_list_and_their_stored_fields(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text(
        textwrap.dedent(
            """\
            users:
              - name: alice
                time_zone: Europe/Berlin
                role: admin
                contact_methods:
                  - {type: sms, address: "+49 151 1234567"}
                  - {type: ntfy, url: "https://ntfy.sh/alice"}
                working_hours: {days: [Mon, tue], start: "8:30", end: "17:00"}
              - full_name: Nameless
            """
        ),
        encoding="utf-8",
    )
    validation = validate_directory(tmp_path, CONFIG_KINDS, now=NOW)
    assert [str(issue) for issue in validation.issues] == [
        "people.yaml:9: users[1].name: must be a user name: letters, digits and . _ - @ +, "
        "starting with a letter or digit, at most 100 characters; got nothing",
    ]
    (tmp_path / "people.yaml").write_text(
        (tmp_path / "people.yaml")
        .read_text(encoding="utf-8")
        .replace("  - full_name: Nameless\n", ""),
        encoding="utf-8",
    )
    validation = validate_directory(tmp_path, CONFIG_KINDS, now=NOW)
    assert validation.issues == ()
    (alice,) = validation.configuration.users
    assert alice == DesiredUser(
        name="alice",
        origin=alice.origin,
        time_zone="Europe/Berlin",
        role="admin",
        contact_methods=[
            {"type": "sms", "address": "+49 151 1234567"},
            {"type": "ntfy", "url": "https://ntfy.sh/alice"},
        ],
        spec={"working_hours": {"days": ["monday", "tuesday"], "start": "08:30", "end": "17:00"}},
    )
    assert str(alice.origin) == "people.yaml:2"
    with pytest.raises(ValidationError, match=r"start \(09:00\) must be before end \(09:00\)"):
        UserConfig.model_validate({"working_hours": {"start": "9:00", "end": "9:00"}})


TEAMS = """\
teams:
  payments:
    description: Takes the money
    members: [alice, bob, alice]
    roles: {team_lead: alice}
    escalation_policy: payments-page
  platform:
    members: [carol]
    roles: {engineering_manager: dave}
    escalation_policy: nobody-pages
services:
  checkout:
    team: paymnts
    escalation_policy: payments-pages
    runbooks: [https://wiki.example.com/checkout, ftp://old]
    components: [Checkout, API]
  billing:
    team: payments
  status:
    description: Without team or policy
escalation_policies:
  payments-page:
    steps:
      - targets:
          - {schedule: on-call, layer: tertiary}
          - {schedule: nowhere}
          - {team: payments, role: manager}
          - {team: nobody}
          - {user: erin}
        timeout_minutes: five
      - targets: [{role: vp_of_engineering}, {user: alice, team: payments}]
        timeout_minutes: 10
      - targets: []
        timeout_minutes: 0
    repeat: -1
  mystery:
    steps:
      - targets: [{layer: primary}]
        timeout_minutes: 5
status_page:
  components:
    - {name: API, group: Public}
    - {name: Checkout}
    - {name: API}
schedules:
  on-call:
    week_1: {primary: alice}
    week_2: {primary: bob}
users: {alice: {}, bob: {}, carol: {}, dave: {}}
"""


def test_cross_references_and_policy_shapes(tmp_path: Path) -> None:
    """Objects with errors of their own are not checked for references too."""
    assert issues(tmp_path, {"org.yaml": TEAMS}) == [
        "org.yaml:4: teams.payments.members: lists 'alice' more than once",
        "org.yaml:10: teams.platform.escalation_policy: unknown escalation policy "
        "'nobody-pages'; defined: mystery, payments-page",
        "org.yaml:15: services.checkout.runbooks[1]: must be an http:// or https:// URL, "
        "got 'ftp://old'",
        "org.yaml:19: warning: services.status: has no escalation policy and neither has its "
        "team: its alerts page nobody",
        "org.yaml:30: escalation_policies.payments-page.steps[0].timeout_minutes: must be a "
        "positive integer, got 'five'",
        "org.yaml:31: escalation_policies.payments-page.steps[1].targets[1]: needs exactly one "
        "of user, schedule (with optional layer), team (with optional role), or role alone",
        "org.yaml:33: escalation_policies.payments-page.steps[2].targets: must have at least "
        "1 item(s)",
        "org.yaml:34: escalation_policies.payments-page.steps[2].timeout_minutes: must be a "
        "positive integer, got 0",
        "org.yaml:35: escalation_policies.payments-page.repeat: must be zero or a positive "
        "integer, got -1",
        "org.yaml:38: escalation_policies.mystery.steps[0].targets[0]: needs exactly one of "
        "user, schedule (with optional layer), team (with optional role), or role alone",
        "org.yaml:44: status_page.components[2]: status page component 'API' is also defined "
        "at org.yaml:42",
    ]


def test_references_are_checked_once_the_objects_are_valid(tmp_path: Path) -> None:
    valid = (
        TEAMS.replace("alice, bob, alice", "alice, bob")
        .replace("paymnts", "paymnt")
        .replace("payments-pages", "payments-page")
        .replace("nobody-pages", "mystery")
        .replace(", ftp://old", "")
        .replace("timeout_minutes: five", "timeout_minutes: 5")
        .replace("{user: alice, team: payments}", "{user: alice}")
        .replace("      - targets: []\n        timeout_minutes: 0\n", "")
        .replace("repeat: -1", "repeat: 2")
        .replace("[{layer: primary}]", "[{role: team_lead}]")
        .replace("    - {name: API}\n", "")
        .replace("[Checkout, API]", "[Checkout, Status]")
    )
    assert issues(tmp_path, {"org.yaml": valid}) == [
        "org.yaml:13: services.checkout.team: unknown team 'paymnt' (did you mean 'payments'?)",
        "org.yaml:16: services.checkout.components[1]: unknown status page component 'Status'; "
        "defined: API, Checkout",
        "org.yaml:19: warning: services.status: has no escalation policy and neither has its "
        "team: its alerts page nobody",
        "org.yaml:25: escalation_policies.payments-page.steps[0].targets[0].layer: schedule "
        "'on-call' has no layer 'tertiary'; its layers are primary",
        "org.yaml:26: escalation_policies.payments-page.steps[0].targets[1].schedule: unknown "
        "schedule 'nowhere'; defined: on-call",
        "org.yaml:27: escalation_policies.payments-page.steps[0].targets[2].role: team "
        "'payments' has no role 'manager'; its roles are team_lead",
        "org.yaml:28: escalation_policies.payments-page.steps[0].targets[3].team: unknown team "
        "'nobody'; defined: payments, platform",
        "org.yaml:29: warning: escalation_policies.payments-page.steps[0].targets[4].user: "
        "'erin' is not defined under users in any file; they get a user without contact methods "
        "and cannot be paged",
        "org.yaml:31: warning: escalation_policies.payments-page.steps[1].targets[0].role: no "
        "team defines the role 'vp_of_engineering'; this step pages nobody until the team "
        "owning the alerting service does",
    ]


def test_duplicate_names_across_files_name_both_places(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    files = {
        "a.yaml": "teams:\n  payments: {}\nusers:\n  alice: {}\n",
        "b.yaml": "users:\n  - name: alice\nteams:\n  payments: {}\n",
        "on-call.yaml": "schedule:\n  week_1: {primary: alice}\n",
        "c.yaml": "schedules:\n  on-call:\n    week_1: {primary: alice}\n",
        "d.yaml": "postmortem: {title: A}\n",
        "sub/d.yaml": "postmortem: {title: B}\n",
    }
    assert issues(tmp_path, files) == [
        "b.yaml:2: users[0]: user 'alice' is also defined at a.yaml:4",
        "b.yaml:4: teams.payments: team 'payments' is also defined at a.yaml:2",
        "on-call.yaml:1: schedule: schedule 'on-call' is also defined at c.yaml:2",
        "sub/d.yaml:1: postmortem: postmortem template 'd' is also defined at d.yaml:1",
    ]


def test_schedule_errors_point_at_the_written_field(tmp_path: Path) -> None:
    seed = (SEEDS / "on-call-schedule.yaml").read_text(encoding="utf-8")
    broken = seed.replace("timeout_minutes: 5", "timeout_minutes: five").replace(
        "      - role: team_lead\n", "      - role: team_lead\n        user: engineer-a\n"
    )
    assert issues(tmp_path, {"on-call-schedule.yaml": broken}) == [
        "on-call-schedule.yaml:20: schedule.escalation.timeout_minutes: must be a positive "
        "integer, got 'five'",
        "on-call-schedule.yaml:23: schedule.escalation.chain[1]: needs exactly one of role, "
        "user, or schedule (with layer)",
    ]


def test_fairness_violations_are_errors_on_the_policy_line(tmp_path: Path) -> None:
    """Each (policy, person, layer) is reported once, with how often it recurs."""
    seed = (SEEDS / "on-call-schedule.yaml").read_text(encoding="utf-8")
    tighter = seed.replace("max_consecutive_days: 7", "max_consecutive_days: 3")
    errors = [
        line
        for line in issues(tmp_path, {"on-call-schedule.yaml": tighter})
        if ": warning: " not in line
    ]
    assert errors[0] == (
        "on-call-schedule.yaml:28: schedule.policies.max_consecutive_days: engineer-a would be "
        "on call 7 days in a row on primary (max_consecutive_days: 3) from 2026-01-05 10:00 to "
        "2026-01-12 10:00 UTC (and 8 more times)"
    )
    assert len(errors) == 6
    prefix = "on-call-schedule.yaml:28: schedule.policies.max_consecutive_days: engineer-"
    assert all(line.startswith(prefix) for line in errors)


def test_a_gap_violation_is_reported_on_its_own_policy_line(tmp_path: Path) -> None:
    seed = (SEEDS / "on-call-schedule.yaml").read_text(encoding="utf-8")
    wider = seed.replace("min_gap_days: 14", "min_gap_days: 20")
    errors = [
        line
        for line in issues(tmp_path, {"on-call-schedule.yaml": wider})
        if ": warning: " not in line
    ]
    assert len(errors) == 6
    assert all(
        line.startswith("on-call-schedule.yaml:30: schedule.policies.min_gap_days: engineer-")
        for line in errors
    )


def test_classification_thresholds(tmp_path: Path) -> None:
    assert issues(tmp_path, {"c.yaml": "classification:\n  critical_users_share: 2\n"}) == [
        "c.yaml:2: classification.critical_users_share: expected a share between 0 and 1, got 2.0",
    ]
    (tmp_path / "c.yaml").write_text(
        "classification:\n  critical_users_share: 0.4\n  important_functions: [payments]\n",
        encoding="utf-8",
    )
    validation = validate_directory(tmp_path, CONFIG_KINDS, now=NOW)
    assert validation.issues == ()
    (definition,) = validation.configuration.definitions
    assert (definition.kind, definition.name) == ("classification", "classification")
    assert definition.spec == {"critical_users_share": 0.4, "important_functions": ["payments"]}


def test_a_syntax_error_skips_reference_checks(tmp_path: Path) -> None:
    assert issues(
        tmp_path,
        {"a.yaml": "services:\n  api: {team: payments}\n", "b.yaml": "teams:\n  payments: {\n"},
    ) == [
        "b.yaml:3: YAML syntax error: expected the node content, but found '<stream end>' "
        "(while parsing a flow node started on line 3)",
    ]
