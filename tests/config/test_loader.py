"""The loader: YAML files read with line numbers, syntax errors placed on their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml.comments import CommentedMap

from tocsin.config.errors import Issue, Level, format_path, sorted_issues
from tocsin.config.loader import SourceFile, config_files, load_directory, parse, to_plain

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "config"


def _seed(name: str) -> SourceFile:
    parsed = parse(name, (SEEDS / name).read_text(encoding="utf-8"))
    assert isinstance(parsed, SourceFile)
    return parsed


@pytest.mark.parametrize(
    ("name", "path", "line"),
    [
        ("severity-definitions.yaml", ("severities",), 5),
        ("severity-definitions.yaml", ("severities", 0), 6),
        ("severity-definitions.yaml", ("severities", 3, "response_time"), 40),
        ("severity-definitions.yaml", ("severities", 1, "examples", 1), 25),
        ("incident-roles.yaml", ("roles", "scribe", "who"), 36),
        ("incident-roles.yaml", ("roles", "operations_lead", "responsibilities", 2), 26),
        ("on-call-schedule.yaml", ("schedule", "week_2", "secondary"), 14),
        ("on-call-schedule.yaml", ("schedule", "escalation", "timeout_minutes"), 20),
        ("on-call-schedule.yaml", ("schedule", "escalation", "chain", 2, "role"), 24),
        ("on-call-schedule.yaml", ("schedule", "policies", "max_consecutive_days"), 28),
        ("postmortem-template.yaml", ("postmortem", "summary"), 12),
        ("postmortem-template.yaml", ("postmortem", "timeline", 1, "event"), 26),
        ("postmortem-template.yaml", ("postmortem", "action_items", 2, "owner"), 51),
    ],
)
def test_lines_of_nested_fields_and_list_items(
    name: str, path: tuple[str | int, ...], line: int
) -> None:
    assert _seed(name).line_of(path) == line


def test_a_missing_field_is_placed_on_the_deepest_node_that_exists() -> None:
    source = _seed("on-call-schedule.yaml")
    assert source.line_of(("schedule", "escalation", "repeat")) == 19
    assert source.line_of(("schedule", "escalation", "chain", 7, "role")) == 21
    assert source.line_of(("nothing", "here")) == 1
    assert source.line_of(()) == 1


def test_stem_names_the_file_without_directory_or_suffix() -> None:
    assert SourceFile("teams/on-call.yml", None).stem == "on-call"


def test_syntax_errors_name_the_line() -> None:
    issue = parse("bad.yaml", "teams:\n  payments:\n    members: [alice, bob\n")
    assert isinstance(issue, Issue)
    assert str(issue) == (
        "bad.yaml:4: YAML syntax error: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence started on line 3)"
    )


def test_duplicate_keys_are_syntax_errors_on_the_second_key() -> None:
    issue = parse("dup.yaml", "teams:\n  a: {}\n  a: {}\n")
    assert isinstance(issue, Issue)
    assert str(issue).startswith('dup.yaml:3: YAML syntax error: found duplicate key "a"')


def test_to_plain_gives_plain_python() -> None:
    parsed = parse("x.yaml", "a: {b: [1, 2.5, true, null, text]}\n")
    assert isinstance(parsed, SourceFile)
    assert isinstance(parsed.document, CommentedMap)
    plain = to_plain(parsed.document)
    assert plain == {"a": {"b": [1, 2.5, True, None, "text"]}}
    assert type(plain) is dict
    assert type(plain["a"]["b"]) is list


def test_directory_files_are_sorted_recursive_and_skip_hidden(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "teams/c.yaml", ".hidden/d.yaml", ".e.yaml", "notes.txt"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n", encoding="utf-8")
    found = [path.relative_to(tmp_path).as_posix() for path in config_files(tmp_path)]
    assert found == ["a.yml", "b.yaml", "teams/c.yaml"]


def test_load_directory_keeps_good_files_and_reports_bad_ones(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("teams: {}\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("teams: [\n", encoding="utf-8")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    sources, issues = load_directory(tmp_path)
    assert [source.name for source in sources] == ["good.yaml"]
    assert [(issue.file, issue.line) for issue in issues] == [("bad.yaml", 2), ("binary.yaml", 1)]
    assert issues[1].message.startswith("cannot read file: ")


def test_missing_and_empty_directories_are_errors(tmp_path: Path) -> None:
    _, missing = load_directory(tmp_path / "nope")
    assert [str(issue) for issue in missing] == [
        f"{(tmp_path / 'nope').as_posix()}:1: is not a directory of configuration files"
    ]
    _, empty = load_directory(tmp_path)
    assert [str(issue) for issue in empty] == [
        f"{tmp_path.as_posix()}:1: holds no configuration files (*.yaml, *.yml)"
    ]


def test_issue_format_and_order() -> None:
    issues = [
        Issue("b.yaml", 2, "teams.x", "second file"),
        Issue("a.yaml", 10, "", "no field", Level.WARNING),
        Issue("a.yaml", 9, "severities[0].level", "first"),
    ]
    assert [str(issue) for issue in sorted_issues(issues)] == [
        "a.yaml:9: severities[0].level: first",
        "a.yaml:10: warning: no field",
        "b.yaml:2: teams.x: second file",
    ]
    assert format_path(("a", 0, "b", 1, 2)) == "a[0].b[1][2]"
