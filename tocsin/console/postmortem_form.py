"""The postmortem edit form: what it shows, and what it sends turned into an API edit.

Lists are typed one point per line. The timeline is the incident's entries
ticked (``entry``, by sequence; those it had keep their wording) plus events
typed one per line as ``HH:MM text`` on the document's date or
``YYYY-MM-DD HH:MM text``, in UTC as the document shows them. The
Five Whys are parallel fields (``why``, ``answer``, ``cites`` such as
"#3, #7"); a row left without a question is dropped, and so is the offered
next question while it has no answer; a template's own sections
are parallel fields too (``extra_key``, ``extra_value``). Only the sections the
document has are sent, so a short template's form leaves the others as they
are. The result is the body the API's edit takes
(:class:`tocsin.postmortems.schemas.PostmortemEdit`), checked by the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Form

from tocsin.domain.postmortem_document import LIST_SECTIONS
from tocsin.domain.postmortem_draft import next_why
from tocsin.domain.refusals import Invalid

TEXT = 20_000
_EVENT = re.compile(r"(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}:\d{2})\s+(\S.*)")
_CITE = re.compile(r"#?(\d{1,9})")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _cites(text: str, index: int) -> list[int]:
    found = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        match = _CITE.fullmatch(part)
        if match is None:
            raise Invalid(
                f"five_whys.{index}.cites", f"expected entry numbers like #3, #7; got {part!r}"
            )
        found.append(int(match[1]))
    return found


def _events(text: str, day: str) -> list[dict[str, str]]:
    found = []
    for number, line in enumerate(lines(text), 1):
        match = _EVENT.fullmatch(line)
        if match is None:
            raise Invalid(
                "other_events", f"line {number}: expected 'HH:MM what happened', got {line!r}"
            )
        date, clock, event = match[1] or day, match[2], match[3]
        try:
            at = datetime.fromisoformat(f"{date}T{clock.zfill(5)}").replace(tzinfo=UTC)
        except ValueError:
            raise Invalid("other_events", f"line {number}: {date} {clock} is not a time") from None
        found.append({"at": at.isoformat(), "event": event})
    return found


@dataclass
class EditFields:
    """What the edit form sent (or what it starts with, drawn from the document)."""

    version: int = 0
    title: str = ""
    summary: str = ""
    root_cause: str = ""
    users_affected: str = ""
    revenue_impact: str = ""
    error_budget_consumed: str = ""
    impact_description: str = ""
    points: dict[str, str] = field(default_factory=dict)
    entry: list[int] = field(default_factory=list)
    other_events: str = ""
    why: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)
    extra_key: list[str] = field(default_factory=list)
    extra_value: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, version: int, document: dict[str, Any]) -> EditFields:
        impact = document.get("impact", {})
        whys = document.get("five_whys", [])
        last = whys[-1]["answer"] if whys else ""
        extra = document.get("extra", {})
        return cls(
            version=version,
            title=document.get("title", ""),
            summary=document.get("summary", ""),
            root_cause=document.get("root_cause", ""),
            users_affected=str(impact.get("users_affected") or ""),
            revenue_impact=impact.get("revenue_impact") or "",
            error_budget_consumed=impact.get("error_budget_consumed") or "",
            impact_description=impact.get("description") or "",
            points={name: "\n".join(document.get(name, [])) for name in LIST_SECTIONS},
            entry=[i["sequence"] for i in document.get("timeline", []) if i.get("sequence")],
            other_events="\n".join(
                f"{item['at'][:10]} {item['at'][11:16]} {item['event']}"
                for item in document.get("timeline", [])
                if not item.get("sequence")
            ),
            why=[w["why"] for w in whys] + [next_why(last) if whys else "Why did this happen?"],
            answer=[w["answer"] for w in whys] + [""],
            cites=[", ".join(f"#{c}" for c in w["cites"]) for w in whys] + [""],
            extra_key=list(extra),
            extra_value=["\n".join(v) if isinstance(v, list) else v for v in extra.values()],
        )

    def whys(self) -> list[tuple[str, str, str]]:
        rows = max(len(self.why), len(self.answer), len(self.cites))
        pad = [*self.why, *[""] * rows], [*self.answer, *[""] * rows], [*self.cites, *[""] * rows]
        return [(pad[0][n], pad[1][n], pad[2][n]) for n in range(rows)]

    def extras(self) -> dict[str, str]:
        return dict(zip(self.extra_key, self.extra_value, strict=False))

    def given(self, document: dict[str, Any]) -> dict[str, Any]:
        """The API edit body, checked where the form has a syntax of its own."""
        day = document.get("date", "")
        affected = self.users_affected.strip()
        if affected and not affected.isdecimal():
            raise Invalid("impact.users_affected", "must be a whole number")
        kinds = {s["key"]: s["kind"] for s in document.get("sections", [])}
        extra: dict[str, Any] = {}
        for key, value in self.extras().items():
            extra[key] = lines(value) if kinds.get(key) == "list" else value.strip()
        present = {s["key"] for s in document.get("sections", [])}
        body: dict[str, Any] = {"version": self.version, "title": self.title.strip()}
        if "summary" in present:
            body["summary"] = self.summary.strip()
        if "impact" in present:
            body["impact"] = {
                "users_affected": int(affected) if affected else None,
                "revenue_impact": self.revenue_impact.strip() or None,
                "error_budget_consumed": self.error_budget_consumed.strip() or None,
                "description": self.impact_description.strip(),
            }
        if "timeline" in present:
            body["timeline"] = [{"sequence": n} for n in sorted(set(self.entry))] + _events(
                self.other_events, day
            )
        if "root_cause" in present:
            body["root_cause"] = self.root_cause.strip()
            had = len(document.get("five_whys", []))
            body["five_whys"] = [
                {"why": why.strip(), "answer": answer.strip(), "cites": _cites(cites, index)}
                for index, (why, answer, cites) in enumerate(self.whys())
                if why.strip() and (index < had or answer.strip())
            ]
        for name in LIST_SECTIONS:
            if name in present:
                body[name] = lines(self.points.get(name, ""))
        if extra:
            body["extra"] = extra
        return body


def edit_fields(
    version: Annotated[int, Form(ge=0)],
    title: Annotated[str, Form(max_length=300)] = "",
    summary: Annotated[str, Form(max_length=TEXT)] = "",
    root_cause: Annotated[str, Form(max_length=TEXT)] = "",
    users_affected: Annotated[str, Form(max_length=12)] = "",
    revenue_impact: Annotated[str, Form(max_length=100)] = "",
    error_budget_consumed: Annotated[str, Form(max_length=50)] = "",
    impact_description: Annotated[str, Form(max_length=TEXT)] = "",
    contributing_factors: Annotated[str, Form(max_length=TEXT)] = "",
    what_went_well: Annotated[str, Form(max_length=TEXT)] = "",
    what_went_poorly: Annotated[str, Form(max_length=TEXT)] = "",
    where_we_got_lucky: Annotated[str, Form(max_length=TEXT)] = "",
    lessons_learned: Annotated[str, Form(max_length=TEXT)] = "",
    entry: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    other_events: Annotated[str, Form(max_length=TEXT)] = "",
    why: Annotated[list[str], Form()] = [],  # noqa: B006
    answer: Annotated[list[str], Form()] = [],  # noqa: B006
    cites: Annotated[list[str], Form()] = [],  # noqa: B006
    extra_key: Annotated[list[str], Form()] = [],  # noqa: B006
    extra_value: Annotated[list[str], Form()] = [],  # noqa: B006
) -> EditFields:
    points = {
        "contributing_factors": contributing_factors,
        "what_went_well": what_went_well,
        "what_went_poorly": what_went_poorly,
        "where_we_got_lucky": where_we_got_lucky,
        "lessons_learned": lessons_learned,
    }
    return EditFields(
        version=version,
        title=title,
        summary=summary,
        root_cause=root_cause,
        users_affected=users_affected,
        revenue_impact=revenue_impact,
        error_budget_consumed=error_budget_consumed,
        impact_description=impact_description,
        points=points,
        entry=entry,
        other_events=other_events,
        why=why,
        answer=answer,
        cites=cites,
        extra_key=extra_key,
        extra_value=extra_value,
    )


EditForm = Annotated[EditFields, Depends(edit_fields)]
