"""Postmortems in the console: the list, one postmortem, its edit form.

Every write calls the function the API's route calls, in one transaction with
its version and its entry on the incident's timeline; a refused form comes
back with what was typed and why (the same status and sentence as the API's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tocsin.config import known_names
from tocsin.console.fields import local_instant
from tocsin.console.postmortem_form import EditFields, EditForm
from tocsin.console.rendering import page
from tocsin.console.route import ConsoleRoute, explained
from tocsin.console.viewer import Responding, RespondingPage, SignedIn, Viewer
from tocsin.domain.refusals import Refusal
from tocsin.http.runtime import Runtime, RuntimeDep
from tocsin.incidents import records
from tocsin.postmortems import creation, editing, finding, meetings, outputs, versions
from tocsin.postmortems.schemas import FlagOut, PostmortemEdit
from tocsin.postmortems.tables import STATUSES, Postmortem
from tocsin.statuspage import publishing

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

Reference = Annotated[str, Path(max_length=30)]
PAGE_SIZE = 50


def path(reference: str) -> str:
    return f"/postmortems/{reference}"


def see(where: str) -> RedirectResponse:
    return RedirectResponse(where, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/postmortems", response_class=HTMLResponse)
def postmortem_list(
    request: Request,
    viewer: SignedIn,
    tocsin: RuntimeDep,
    status_: Annotated[
        str, Query(alias="status", pattern="^(|draft|in_review|published|closed)$")
    ] = "",
    mine: Annotated[bool, Query()] = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    now = tocsin.clock.now()
    filters = finding.Filters(status_ or None, viewer.name if mine else None)
    with tocsin.database.sessions() as session:
        found, count = finding.search(session, filters, limit=PAGE_SIZE, cursor=cursor)
        items = [outputs.postmortem_out(session, row, now, flags=False) for row in found.rows]
    context = {
        "items": items,
        "count": count,
        "next_cursor": found.next_cursor,
        "statuses": STATUSES,
        "chosen": status_,
        "mine": mine,
    }
    return page(request, "postmortems/list.html", viewer, context)


@dataclass(frozen=True)
class Flagged:
    """One sentence that may read as blame, with each rule that flags it."""

    field: str
    before: str
    matched: str
    after: str
    flags: list[FlagOut]


def by_sentence(flags: list[FlagOut]) -> list[Flagged]:
    """The flags grouped by sentence, in document order, every matched word highlighted."""
    groups: dict[tuple[str, int], list[FlagOut]] = {}
    for flag in flags:
        begins = flag.start - flag.sentence.find(flag.matched)
        groups.setdefault((flag.field, begins), []).append(flag)
    found = []
    for (field, begins), group in groups.items():
        sentence = group[0].sentence
        low = min(flag.start for flag in group) - begins
        high = max(flag.end for flag in group) - begins
        found.append(Flagged(field, sentence[:low], sentence[low:high], sentence[high:], group))
    return found


def flagged(sentences: list[Flagged]) -> dict[str, list[Flagged]]:
    """The flagged sentences by the section their field belongs to."""
    found: dict[str, list[Flagged]] = {}
    for flag in sentences:
        head, *rest = flag.field.split(".")
        section = "root_cause" if head == "five_whys" else rest[0] if head == "extra" else head
        found.setdefault(section, []).append(flag)
    return found


def _view_context(session: Session, tocsin: Runtime, postmortem: Postmortem) -> dict[str, Any]:
    out = outputs.postmortem_out(session, postmortem, tocsin.clock.now())
    return {
        "postmortem": out,
        "document": out.document,
        "versions": list(reversed(versions.listing(session, postmortem))),
        "people": known_names.users(session),
        "proposed": meetings.proposed(session, postmortem),
        "waiting": [r.user for r in out.reviewers if r.verdict != "approved"],
        "flagged_sentences": by_sentence(out.flags or []),
        "now": tocsin.clock.now(),
        "public_page": public_page(session, postmortem),
    }


def public_page(session: Session, postmortem: Postmortem) -> str | None:
    """Where the public version is on the status page (None: it is not public)."""
    if postmortem.public_at is None:
        return None
    shown = publishing.for_incident(session, postmortem.incident_id)
    return f"/status/incidents/{shown.code}/postmortem" if shown is not None else None


def show(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    reference: str,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    with tocsin.database.sessions() as session:
        context = _view_context(session, tocsin, finding.find(session, reference))
    context["errors"] = errors or []
    return page(request, "postmortems/view.html", viewer, context, status_code=status_code)


@router.get("/postmortems/{reference}", response_class=HTMLResponse)
def postmortem_page(
    request: Request, viewer: SignedIn, tocsin: RuntimeDep, reference: Reference
) -> Response:
    return show(request, viewer, tocsin, reference)


def _edit_page(
    request: Request,
    viewer: Viewer,
    tocsin: Runtime,
    reference: str,
    fields: EditFields | None = None,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        context = _view_context(session, tocsin, postmortem)
        context["candidates"] = outputs.candidates(session, postmortem)
    form = fields or EditFields.of(postmortem.version, postmortem.content)
    context.update(
        form=form,
        chosen=set(form.entry),
        flagged=flagged(context["flagged_sentences"]),
        errors=errors or [],
    )
    return page(request, "postmortems/edit.html", viewer, context, status_code=status_code)


@router.get("/postmortems/{reference}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, viewer: RespondingPage, tocsin: RuntimeDep, reference: Reference
) -> Response:
    return _edit_page(request, viewer, tocsin, reference)


@router.post("/postmortems/{reference}/edit", response_class=HTMLResponse)
def edit(
    request: Request, viewer: Responding, tocsin: RuntimeDep, reference: Reference, form: EditForm
) -> Response:
    try:
        with tocsin.database.transaction() as session:
            postmortem = finding.find(session, reference, lock=True)
            body = PostmortemEdit.model_validate(form.given(postmortem.content))
            given = body.model_dump(exclude_unset=True, exclude={"version", "owner", "due_at"})
            editing.edit(
                session,
                postmortem,
                given,
                author=viewer.name,
                now=tocsin.clock.now(),
                expected_version=body.version,
            )
            shown = postmortem.reference
    except (Refusal, ValidationError) as refused:
        code, errors = explained(refused)
        return _edit_page(request, viewer, tocsin, reference, form, errors=errors, status_code=code)
    return see(path(shown))


@router.post("/postmortems/{reference}/owner", response_class=HTMLResponse)
def reassign(
    request: Request,
    viewer: Responding,
    tocsin: RuntimeDep,
    reference: Reference,
    version: Annotated[int, Form(ge=0)],
    owner: Annotated[str, Form(max_length=100)] = "",
    due_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Give the postmortem another owner or due date (typed in the viewer's zone)."""
    try:
        due = local_instant(due_at, viewer, "due_at") if due_at else None
        with tocsin.database.transaction() as session:
            postmortem = finding.find(session, reference, lock=True)
            editing.reassign(
                session,
                postmortem,
                owner=owner or None,
                due_at=due,
                author=viewer.name,
                now=tocsin.clock.now(),
                expected_version=version,
            )
    except Refusal as refused:
        code, errors = explained(refused)
        return show(request, viewer, tocsin, reference, errors=errors, status_code=code)
    return see(path(reference))


@router.post("/incidents/{reference}/postmortem", response_class=HTMLResponse)
def create(
    request: Request, viewer: Responding, tocsin: RuntimeDep, reference: Reference
) -> Response:
    """Draft the incident's postmortem now (from its page), then show it."""
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        postmortem = creation.create(
            session, incident, author=viewer.name, now=tocsin.clock.now(), required=False
        )
        shown = postmortem.reference
    return see(path(shown))
