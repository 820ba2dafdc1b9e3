"""``postmortem:`` templates and ``postmortems:`` settings in configuration files."""

from __future__ import annotations

import shutil
from pathlib import Path

from tocsin.app.config_kinds import CONFIG_KINDS
from tocsin.config import validate_directory
from tocsin.kernel.clock import FakeClock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def problems(directory: Path, files: dict[str, str]) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    validation = validate_directory(directory, CONFIG_KINDS, now=FakeClock().now())
    return [str(issue) for issue in validation.errors]


def test_the_shipped_templates_load_beside_the_seeds(tmp_path: Path) -> None:
    for folder in ("config", "postmortems"):
        for source in (EXAMPLES / folder).glob("*.yaml"):
            shutil.copy(source, tmp_path / source.name)
    settings = "postmortems:\n  template: google-sre\n  required_for: [SEV-1, sev2]\n"
    assert problems(tmp_path, {"settings.yaml": settings}) == []


def test_settings_name_configured_levels_and_a_defined_template(tmp_path: Path) -> None:
    settings = "postmortems:\n  required_for: [SEV-1, SEV-9]\n  template: google\n  due_hours: 0\n"
    assert problems(tmp_path, {"settings.yaml": settings}) == [
        "settings.yaml:4: postmortems.due_hours: must be a positive integer, got 0"
    ]
    assert problems(tmp_path, {"settings.yaml": settings.replace("  due_hours: 0\n", "")}) == [
        "settings.yaml:2: postmortems.required_for[1]: unknown severity level 'SEV-9' "
        "(did you mean 'SEV-4'?)",
        "settings.yaml:3: postmortems.template: unknown postmortem template 'google'; "
        "none is defined",
    ]


def test_settings_sit_in_one_file_and_sections_keep_their_kind(tmp_path: Path) -> None:
    template = "postmortem:\n  title: T\n  sections:\n"
    wrong = template + "    - {key: impact, kind: list}\n    - {key: Trigger}\n"
    twice = template + "    - {key: summary}\n    - {key: summary}\n"
    found = problems(
        tmp_path,
        {
            "a.yaml": "postmortems: {}\n",
            "b.yaml": "postmortems: {}\n",
            "t.yaml": wrong,
            "u.yaml": twice,
        },
    )
    assert found[0].startswith("b.yaml:1: postmortems: postmortems must be defined in one file")
    assert any("impact is a standard section of kind impact" in line for line in found)
    assert any("sections[1].key: must be a key of lower-case letters" in line for line in found)
    assert any("lists section 'summary' more than once" in line for line in found)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "action-items.md"


def test_the_documented_action_item_settings_validate_and_bad_ones_are_named(
    tmp_path: Path,
) -> None:
    text = DOCS.read_text()
    documented = text[text.index("```yaml\npostmortems:") + len("```yaml\n") :]
    documented = documented[: documented.index("```")]
    assert problems(tmp_path / "documented", {"settings.yaml": documented}) == []
    bad = (
        "postmortems:\n  action_items:\n    remind_overdue_every_days: 0\n"
        "    digest:\n      weekday: mondays\n      time_zone: Europe/Berln\n      to: everyone\n"
    )
    found = problems(tmp_path / "bad", {"settings.yaml": bad})
    assert [issue.split(":", 2)[2].split(":", 1)[0].strip() for issue in found] == [
        "postmortems.action_items.remind_overdue_every_days",
        "postmortems.action_items.digest.weekday",
        "postmortems.action_items.digest.time_zone",
        "postmortems.action_items.digest.to",
    ]
    assert "did you mean 'Europe/Berlin'?" in " ".join(found)
