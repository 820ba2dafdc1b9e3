"""``issue_trackers:`` in configuration files: each mistake named at its file, line and field."""

from __future__ import annotations

from pathlib import Path

from tests.postmortems.support import PEOPLE
from tests.postmortems.test_config import problems

GOOD = """
issue_trackers:
  tickets:
    type: webhook
    webhook: {url: "https://tickets.example.com/tocsin", secret_env: TICKETS_SECRET}
  github-infra:
    type: github
    teams: [payments]
    github: {repository: acme/infra, token_env: GITHUB_TOKEN, labels: [postmortem]}
  jira-ops:
    type: jira
    poll_minutes: 15
    jira:
      url: https://acme.atlassian.net
      project: OPS
      email: bot@example.com
      token_env: JIRA_API_TOKEN
      statuses: {"Won't Do": wont_do, "In Review": in_progress}
"""


def test_the_documented_examples_are_valid(tmp_path: Path) -> None:
    assert problems(tmp_path, {"org.yaml": PEOPLE, "trackers.yaml": GOOD}) == []


def test_mistakes_are_named_by_file_line_and_field(tmp_path: Path) -> None:
    wrong = """issue_trackers:
  a:
    type: github
    webhook: {url: "https://x.example.com", secret_env: X}
  b:
    type: github
    github: {repository: acme, token_env: github-token}
  c:
    type: jira
    jira: {url: https://acme.atlassian.net, project: ops, token_env: T,
           statuses: {Done: finished}}
  e:
    type: webhook
    teams: [paymnets]
    webhook: {url: "https://x.example.com", secret_env: X}
  d:
    type: asana
"""
    assert problems(tmp_path, {"org.yaml": PEOPLE, "trackers.yaml": wrong}) == [
        "trackers.yaml:2: issue_trackers.a: a github tracker needs its github: settings",
        "trackers.yaml:7: issue_trackers.b.github.repository: must be OWNER/REPOSITORY, "
        "such as acme/infra, got 'acme'",
        "trackers.yaml:7: issue_trackers.b.github.token_env: must be the name of an "
        "environment variable (capital letters, digits and _), got 'github-token'",
        "trackers.yaml:10: issue_trackers.c.jira.project: must be a Jira project key such as "
        "OPS, got 'ops'",
        "trackers.yaml:11: issue_trackers.c.jira.statuses.Done: must be one of 'open', "
        "'in_progress', 'done' or 'wont_do', got 'finished'",
        "trackers.yaml:14: issue_trackers.e.teams[0]: unknown team 'paymnets' "
        "(did you mean 'payments'?)",
        "trackers.yaml:17: issue_trackers.d.type: must be one of 'webhook', 'github' or "
        "'jira', got 'asana'",
    ]
