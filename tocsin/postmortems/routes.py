"""The postmortem API: ``/api/v1/postmortems/...`` and ``/api/v1/incidents/{ref}/postmortem``.

Viewers read; responders create and edit. Every change is one transaction
with its version and its entry on the incident's timeline; a refused change
(403, 404, 409, 422 naming the field) changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from tocsin.auth.deps import Responder, Viewer
from tocsin.http.checked import CheckedRoute
from tocsin.http.params import Cursor
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents import records
from tocsin.incidents.routes import READ_ERRORS, WRITE_ERRORS
from tocsin.incidents.routes import Reference as IncidentReference
from tocsin.postmortems import (
    action_item_routes,
    action_items,
    creation,
    editing,
    export,
    export_routes,
    finding,
    language,
    outputs,
    review_routes,
    tracker_routes,
    versions,
)
from tocsin.postmortems.schemas import (
    CandidateOut,
    FlagOut,
    LanguageIn,
    PostmortemCreate,
    PostmortemEdit,
    PostmortemOut,
    PostmortemPage,
    Reference,
    Status,
    VersionOut,
)

router = APIRouter(prefix="/api/v1/postmortems", route_class=CheckedRoute, tags=["postmortems"])
incident_router = APIRouter(
    prefix="/api/v1/incidents", route_class=CheckedRoute, tags=["postmortems"]
)

VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]


@incident_router.post(
    "/{reference}/postmortem",
    status_code=201,
    response_model=PostmortemOut,
    summary="Draft the incident's postmortem now",
    description="For an incident whose severity does not require one (those that do get "
    "theirs when they resolve). The incident must be resolved or closed.",
    responses=WRITE_ERRORS,
)
def create(
    reference: IncidentReference, body: PostmortemCreate, principal: Responder, tocsin: RuntimeDep
) -> PostmortemOut:
    now = tocsin.clock.now()
    with tocsin.database.transaction() as session:
        incident = records.find(session, reference, lock=True)
        if body.owner is not None:
            editing.check_owner(session, body.owner)
        postmortem = creation.create(
            session,
            incident,
            author=principal.name,
            now=now,
            required=False,
            template=body.template,
            owner=body.owner,
        )
        return outputs.postmortem_out(session, postmortem, now)


@incident_router.get(
    "/{reference}/postmortem",
    response_model=PostmortemOut,
    summary="The incident's postmortem",
    responses=READ_ERRORS,
)
def of_incident(reference: IncidentReference, _: Viewer, tocsin: RuntimeDep) -> PostmortemOut:
    with tocsin.database.sessions() as session:
        incident = records.find(session, reference)
        postmortem = finding.of_incident(session, incident)
        return outputs.postmortem_out(session, postmortem, tocsin.clock.now())


@router.get(
    "",
    response_model=PostmortemPage,
    summary="List postmortems, newest first",
    responses={401: READ_ERRORS[401]},
)
def list_postmortems(
    _: Viewer,
    tocsin: RuntimeDep,
    status: Annotated[Status | None, Query()] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> PostmortemPage:
    now = tocsin.clock.now()
    with tocsin.database.sessions() as session:
        found, count = finding.search(
            session, finding.Filters(status, owner), limit=limit, cursor=cursor
        )
        return PostmortemPage(
            items=[outputs.postmortem_out(session, row, now, flags=False) for row in found.rows],
            total=count.total,
            total_exact=count.exact,
            next_cursor=found.next_cursor,
        )


@router.post(
    "/language",
    response_model=list[FlagOut],
    summary="Check a text for blame-shaped sentences",
    description="The blameless language check (the configured rules, every user's name): each "
    "flag says why the sentence reads as blame and how to say it blamelessly. Advice only.",
    responses={401: READ_ERRORS[401], 422: WRITE_ERRORS[422]},
)
def check_language(body: LanguageIn, _: Viewer, tocsin: RuntimeDep) -> list[FlagOut]:
    with tocsin.database.sessions() as session:
        return [outputs.flag_out(flag) for flag in language.check_text(session, body.text)]


@router.get(
    "/{reference}/language",
    response_model=list[FlagOut],
    summary="The blameless language check of a postmortem",
    responses=READ_ERRORS,
)
def document_language(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> list[FlagOut]:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        return [outputs.flag_out(f) for f in language.check_document(session, postmortem.content)]


@router.get(
    "/{reference}", response_model=PostmortemOut, summary="One postmortem", responses=READ_ERRORS
)
def get_postmortem(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> PostmortemOut:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        return outputs.postmortem_out(session, postmortem, tocsin.clock.now())


@router.patch(
    "/{reference}",
    response_model=PostmortemOut,
    summary="Edit the document (a draft), the owner or the due date",
    description="Only the fields sent change. Send the version you edited as `version`: "
    "when the postmortem changed since, the edit is refused (409).",
    responses=WRITE_ERRORS,
)
def edit(
    reference: Reference, body: PostmortemEdit, principal: Responder, tocsin: RuntimeDep
) -> PostmortemOut:
    now = tocsin.clock.now()
    given = body.model_dump(exclude_unset=True, exclude={"version", "owner", "due_at"})
    with tocsin.database.transaction() as session:
        postmortem = finding.find(session, reference, lock=True)
        if body.owner is not None or body.due_at is not None:
            editing.reassign(
                session,
                postmortem,
                owner=body.owner,
                due_at=body.due_at,
                author=principal.name,
                now=now,
                expected_version=body.version,
            )
        if given:
            expected = body.version if body.owner is None and body.due_at is None else None
            editing.edit(
                session,
                postmortem,
                given,
                author=principal.name,
                now=now,
                expected_version=expected,
            )
        return outputs.postmortem_out(session, postmortem, now)


@router.get(
    "/{reference}/timeline",
    response_model=list[CandidateOut],
    summary="The incident's whole timeline, marking the entries the document has",
    description="Any entry may be added to the document's timeline by its sequence.",
    responses=READ_ERRORS,
)
def timeline(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> list[CandidateOut]:
    with tocsin.database.sessions() as session:
        return outputs.candidates(session, finding.find(session, reference))


@router.get(
    "/{reference}/versions",
    response_model=list[VersionOut],
    summary="Every version: who changed what, when",
    responses=READ_ERRORS,
)
def list_versions(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> list[VersionOut]:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        return [outputs.version_out(row) for row in versions.listing(session, postmortem)]


@router.get(
    "/{reference}/versions/{number}",
    response_model=VersionOut,
    summary="One version",
    responses=READ_ERRORS,
)
def get_version(
    reference: Reference, number: VersionNumber, _: Viewer, tocsin: RuntimeDep
) -> VersionOut:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        return outputs.version_out(versions.one(session, postmortem, number))


@router.get(
    "/{reference}/template.yaml",
    response_class=PlainTextResponse,
    summary="The postmortem in the seed's postmortem-template.yaml format",
    responses={**READ_ERRORS, 200: {"content": {"application/yaml": {}}}},
)
def as_template(reference: Reference, _: Viewer, tocsin: RuntimeDep) -> PlainTextResponse:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        text = export.as_template_yaml(postmortem, action_items.listing(session, postmortem))
    return PlainTextResponse(text, media_type="application/yaml")


#: Every router of the postmortem API: the document's here, the workflow's in ``review_routes``,
#: every action item's in ``action_item_routes``, trackers' inbound events in ``tracker_routes``,
#: the files and the public version in ``export_routes``.
ROUTERS = (
    router,
    incident_router,
    *review_routes.ROUTERS,
    *action_item_routes.ROUTERS,
    *tracker_routes.ROUTERS,
    *export_routes.ROUTERS,
)
