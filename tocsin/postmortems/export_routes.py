"""A postmortem as a file (Markdown, HTML, PDF), and its public version on the status page.

``GET /api/v1/postmortems/{ref}/export?format=markdown|html|pdf[&version=public]``
answers a download (``Content-Disposition: attachment; filename="PM-3.pdf"``);
the public version of a postmortem not yet published is refused (409).
``POST /api/v1/postmortems/{ref}/public`` publishes the public version on the
incident's status page entry (again: refreshes it), ``DELETE`` withdraws it.
"""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tocsin.auth.deps import Responder, Viewer
from tocsin.http.checked import CheckedRoute
from tocsin.http.runtime import RuntimeDep
from tocsin.incidents.routes import READ_ERRORS, WRITE_ERRORS
from tocsin.postmortems import documents, finding, public
from tocsin.postmortems.outputs import changed
from tocsin.postmortems.schemas import PostmortemOut, PublicIn, Reference

router = APIRouter(prefix="/api/v1/postmortems", route_class=CheckedRoute, tags=["postmortems"])


class Format(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"
    PDF = "pdf"


class Version(StrEnum):
    INTERNAL = documents.INTERNAL
    PUBLIC = documents.PUBLIC


#: Each format's media type and file extension.
MEDIA = {
    Format.MARKDOWN: ("text/markdown; charset=utf-8", "md"),
    Format.HTML: ("text/html; charset=utf-8", "html"),
    Format.PDF: ("application/pdf", "pdf"),
}


def render(rendering: documents.Rendering, chosen: Format) -> bytes:
    if chosen is Format.MARKDOWN:
        return documents.markdown(rendering).encode()
    if chosen is Format.HTML:
        return documents.html(rendering).encode()
    return documents.pdf(rendering)


@router.get(
    "/{reference}/export",
    response_class=Response,
    summary="The postmortem as a Markdown, HTML or PDF file",
    description="`version=public` leaves out the internal sections (only of a published or "
    "closed postmortem: 409 otherwise); see docs/postmortems.md for what is internal.",
    responses={
        **READ_ERRORS,
        409: WRITE_ERRORS[409],
        422: WRITE_ERRORS[422],
        200: {
            "content": {"text/markdown": {}, "text/html": {}, "application/pdf": {}},
            "description": "The file, as an attachment",
        },
    },
)
def export(
    reference: Reference,
    _: Viewer,
    tocsin: RuntimeDep,
    format: Annotated[Format, Query(description="markdown, html or pdf")],
    version: Annotated[Version, Query(description="internal (everything) or public")] = (
        Version.INTERNAL
    ),
) -> Response:
    with tocsin.database.sessions() as session:
        postmortem = finding.find(session, reference)
        rendering = documents.build(
            session, postmortem, public=version is Version.PUBLIC, now=tocsin.clock.now()
        )
    media_type, extension = MEDIA[format]
    filename = rendering.filename(extension)
    return Response(
        render(rendering, format),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/{reference}/public",
    response_model=PostmortemOut,
    summary="Publish the public version on the incident's status page entry",
    description="Only a published or closed postmortem, never a drill's, and only once the "
    "incident is on the status page and resolved there (409 otherwise). The public incident's "
    "status becomes `postmortem`. Posting again refreshes the text. With `notify`, the "
    "subscribers an update of the incident would reach are told, once.",
    responses=WRITE_ERRORS,
)
def make_public(
    reference: Reference,
    principal: Responder,
    tocsin: RuntimeDep,
    body: PublicIn | None = None,
) -> PostmortemOut:
    notify = body is not None and body.notify
    return changed(
        tocsin, reference, partial(public.make_public, notify=notify), author=principal.name
    )


@router.delete(
    "/{reference}/public",
    response_model=PostmortemOut,
    summary="Withdraw the public version from the status page",
    responses=WRITE_ERRORS,
)
def withdraw(reference: Reference, principal: Responder, tocsin: RuntimeDep) -> PostmortemOut:
    return changed(tocsin, reference, public.withdraw, author=principal.name)


ROUTERS = (router,)
