from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from tocsin.domain.roles import (
    Assignment,
    Duty,
    Handover,
    ResolvePolicy,
    Role,
    RoleDefinition,
    RoleError,
    Roster,
    assign,
    definitions_from_dict,
    duties,
    may_resolve,
    parse_role,
    unassign,
)

IC = Role.INCIDENT_COMMANDER
SCRIBE = Role.SCRIBE
RESPONDER = Role.RESPONDER

#: The seed's ``incident-roles.yaml``, without its comments.
EXAMPLE = """\
roles:
  incident_commander:
    responsibilities:
      - "Declare the incident and assign severity"
      - "Assign roles to responders"
      - "Make decisions on response strategy"
      - "Coordinate across teams"
      - "Decide when the incident is resolved"
    who: "On-call lead or senior engineer"

  communications_lead:
    responsibilities:
      - "Post status updates at defined intervals"
      - "Update the status page"
      - "Notify affected customers"
      - "Coordinate with support and sales teams"
    who: "On-call secondary or designated communicator"

  operations_lead:
    responsibilities:
      - "Lead technical investigation"
      - "Coordinate debugging efforts"
      - "Propose and execute mitigations"
      - "Escalate to subject matter experts"
    who: "Senior engineer familiar with the affected system"

  scribe:
    responsibilities:
      - "Record timeline of events"
      - "Document actions taken and by whom"
      - "Capture decisions and their rationale"
      - "Prepare notes for the postmortem"
    who: "Any available team member"
"""


def test_parse_role_accepts_aliases_and_spellings() -> None:
    assert parse_role("technical_lead") is Role.OPERATIONS_LEAD
    assert parse_role("Technical Lead") is Role.OPERATIONS_LEAD
    assert parse_role("incident-commander") is IC
    assert parse_role("subject_matter_expert") is Role.SUBJECT_MATTER_EXPERT
    with pytest.raises(RoleError, match="unknown role 'captain'; expected one of: incident_"):
        parse_role("captain")


def test_assigning_a_vacant_lead_role() -> None:
    roster, handover = assign(Roster(), IC, "alice")
    assert roster.holder(IC) == "alice"
    assert handover == Handover(IC, None, "alice")
    assert handover.changed


def test_assigning_a_held_lead_role_is_a_handover() -> None:
    roster, _ = assign(Roster(), IC, "alice")
    roster, _ = assign(roster, SCRIBE, "carol")
    roster, handover = assign(roster, IC, "bob")
    assert handover == Handover(IC, "alice", "bob")
    assert roster.holder(IC) == "bob"
    assert roster.holders(IC) == ("bob",)
    assert roster.holder(SCRIBE) == "carol"
    assert roster.roles_of("alice") == frozenset()


def test_reassigning_the_same_holder_changes_nothing() -> None:
    roster, _ = assign(Roster(), IC, "alice")
    again, handover = assign(roster, IC, "alice")
    assert again == roster
    assert handover == Handover(IC, "alice", "alice")
    assert not handover.changed


def test_responders_and_experts_are_many() -> None:
    roster, first = assign(Roster(), RESPONDER, "dan")
    roster, second = assign(roster, RESPONDER, "erin")
    roster, _ = assign(roster, Role.SUBJECT_MATTER_EXPERT, "dan")
    assert roster.holders(RESPONDER) == ("dan", "erin")
    assert (first, second) == (Handover(RESPONDER, None, "dan"), Handover(RESPONDER, None, "erin"))
    assert roster.holder(RESPONDER) == "dan"
    assert roster.roles_of("dan") == frozenset({RESPONDER, Role.SUBJECT_MATTER_EXPERT})
    again, handover = assign(roster, RESPONDER, "erin")
    assert again == roster and not handover.changed


def test_one_person_may_hold_several_lead_roles() -> None:
    roster, _ = assign(Roster(), IC, "alice")
    roster, _ = assign(roster, SCRIBE, "alice")
    assert roster.roles_of("alice") == frozenset({IC, SCRIBE})


def test_assign_needs_a_user() -> None:
    with pytest.raises(RoleError, match="user: who takes the role is required"):
        assign(Roster(), IC, " ")


def test_roster_refuses_two_holders_of_a_lead_role() -> None:
    with pytest.raises(RoleError, match="incident_commander can have only one holder"):
        Roster((Assignment(IC, "alice"), Assignment(IC, "bob")))
    with pytest.raises(RoleError, match="the same person holds the same role twice"):
        Roster((Assignment(RESPONDER, "dan"), Assignment(RESPONDER, "dan")))


def test_unassign_a_lead_role() -> None:
    roster, _ = assign(Roster(), IC, "alice")
    emptied, handover = unassign(roster, IC)
    assert emptied.holder(IC) is None
    assert handover == Handover(IC, "alice", None)
    emptied, handover = unassign(roster, IC, "alice")
    assert emptied == Roster()


def test_unassign_refuses_a_stale_holder() -> None:
    roster, _ = assign(Roster(), IC, "alice")
    roster, _ = assign(roster, IC, "bob")
    with pytest.raises(RoleError, match="alice is not incident_commander; held by bob"):
        unassign(roster, IC, "alice")
    with pytest.raises(RoleError, match="scribe has no holder"):
        unassign(roster, SCRIBE)


def test_unassign_a_responder_needs_the_user() -> None:
    roster, _ = assign(Roster(), RESPONDER, "dan")
    roster, _ = assign(roster, RESPONDER, "erin")
    with pytest.raises(RoleError, match="user: required to remove someone from responder"):
        unassign(roster, RESPONDER)
    roster, handover = unassign(roster, RESPONDER, "dan")
    assert roster.holders(RESPONDER) == ("erin",)
    assert handover == Handover(RESPONDER, "dan", None)
    with pytest.raises(RoleError, match="frank is not responder; held by erin"):
        unassign(roster, RESPONDER, "frank")


def example_definitions() -> dict[Role, RoleDefinition]:
    data = YAML(typ="safe").load(EXAMPLE)
    return definitions_from_dict(data["roles"])


def test_definitions_from_the_example_file() -> None:
    definitions = example_definitions()
    assert set(definitions) == {IC, Role.COMMUNICATIONS_LEAD, Role.OPERATIONS_LEAD, SCRIBE}
    assert definitions[IC].responsibilities[-1] == "Decide when the incident is resolved"
    assert definitions[SCRIBE].who == "Any available team member"


def test_duties_per_holder() -> None:
    roster, _ = assign(Roster(), SCRIBE, "alice")
    roster, _ = assign(roster, IC, "alice")
    roster, _ = assign(roster, parse_role("technical_lead"), "bob")
    roster, _ = assign(roster, RESPONDER, "dan")
    result = duties(roster, example_definitions())
    assert set(result) == {"alice", "bob", "dan"}
    assert [d.key for d in result["alice"]] == [
        "incident_commander.declare-the-incident-and-assign-severity",
        "incident_commander.assign-roles-to-responders",
        "incident_commander.make-decisions-on-response-strategy",
        "incident_commander.coordinate-across-teams",
        "incident_commander.decide-when-the-incident-is-resolved",
        "scribe.record-timeline-of-events",
        "scribe.document-actions-taken-and-by-whom",
        "scribe.capture-decisions-and-their-rationale",
        "scribe.prepare-notes-for-the-postmortem",
    ]
    assert result["bob"][0] == Duty(
        "operations_lead.lead-technical-investigation",
        Role.OPERATIONS_LEAD,
        "Lead technical investigation",
    )
    assert result["dan"] == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"captain": {"responsibilities": []}}, "unknown role 'captain'"),
        ({"scribe": ["Record"]}, "scribe: expected a mapping"),
        ({"scribe": {"responsibilities": "Record"}}, "scribe.responsibilities: expected a list"),
        ({"scribe": {"responsibilities": [""]}}, "scribe.responsibilities: expected a list"),
        ({"scribe": {"who": 3}}, "scribe.who: expected text"),
        ({"scribe": {"owner": "x"}}, "scribe.owner: unknown field"),
        (
            {"operations_lead": {}, "technical_lead": {}},
            "technical_lead: operations_lead is defined twice",
        ),
    ],
)
def test_bad_definitions_name_the_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(RoleError, match=message):
        definitions_from_dict(data)


def test_by_default_the_commander_or_an_admin_may_resolve() -> None:
    assert may_resolve({IC}, user_is_admin=False)
    assert may_resolve(set(), user_is_admin=True)
    assert not may_resolve({Role.OPERATIONS_LEAD, SCRIBE, RESPONDER}, user_is_admin=False)
    assert not may_resolve([], user_is_admin=False)


def test_resolve_policy_from_config() -> None:
    policy = ResolvePolicy.from_dict({"roles": ["incident_commander", "technical_lead"]})
    assert policy == ResolvePolicy(roles=frozenset({IC, Role.OPERATIONS_LEAD}), admins=True)
    assert may_resolve([Role.OPERATIONS_LEAD], False, policy)
    strict = ResolvePolicy.from_dict({"admins": False})
    assert not may_resolve([], True, strict)
    assert may_resolve([IC], True, strict)
    with pytest.raises(RoleError, match="who: unknown field"):
        ResolvePolicy.from_dict({"who": []})
    with pytest.raises(RoleError, match="roles: expected a list of role names"):
        ResolvePolicy.from_dict({"roles": "incident_commander"})
    with pytest.raises(RoleError, match="admins: expected true or false"):
        ResolvePolicy.from_dict({"admins": "yes"})
