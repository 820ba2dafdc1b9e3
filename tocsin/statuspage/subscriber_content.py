"""What a delivery says: an update, a component change or a postmortem as one page tells it.

A :class:`~tocsin.statuspage.subscriber_messages.Notice` (an update, or that
an incident's postmortem is public: every channel) or a
:class:`~tocsin.statuspage.subscriber_messages.ComponentNotice` (a component's
change, webhooks only) is drawn from the page's snapshot when its first
delivery is sent, and kept for the next ones in this process (the last
:data:`KEPT`), so a thousand subscribers cost one snapshot. A change whose
component the page no longer shows says nothing, nor does a postmortem
withdrawn before it was told: their deliveries are skipped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.domain.refusals import NotFound
from tocsin.notify.settings import NotifySettings
from tocsin.statuspage import components as component_states
from tocsin.statuspage import publishing, reading
from tocsin.statuspage.audiences import Audience, audience
from tocsin.statuspage.config_schema import StatusPageSettings
from tocsin.statuspage.public_pages import Clockface
from tocsin.statuspage.statuspage_api import Shapes
from tocsin.statuspage.subscriber_messages import ComponentNotice, Notice
from tocsin.statuspage.tables import ComponentStatusChange, Delivery, PublicIncident, PublicUpdate

#: Notices kept per process.
KEPT = 64

Told = Notice | ComponentNotice

# Notices: what one update or change says on one page, built once per process.
_notices: OrderedDict[tuple[str, str, str], tuple[Told, str]] = OrderedDict()
_notices_lock = threading.Lock()


def base_url(settings: StatusPageSettings, notify: NotifySettings) -> str:
    """Where readers reach the page: the configured URL, else Tocsin's public URL."""
    return (settings.url or notify.public_url).rstrip("/")


def build_notice(
    session: Session,
    update: PublicUpdate,
    page: Audience,
    settings: StatusPageSettings,
    base: str,
    now: datetime,
) -> Notice:
    public = session.get(PublicIncident, update.public_incident_id)
    assert public is not None
    snapshot = reading.snapshot(session, page, settings, now)
    told = [
        row for row in publishing.updates(session, [public.id])[public.id] if row.id <= update.id
    ]
    story = reading.story(public, told)
    document = Shapes(snapshot, base).story(story)
    when = Clockface(snapshot.zone)
    return Notice(
        page_title=page.title,
        page_id=Shapes(snapshot, base).page_id,
        indicator=snapshot.indicator,
        description=snapshot.description,
        incident_name=public.name,
        update_code=update.code,
        update_status=update.status,
        update_body=update.body,
        affected=tuple(
            (str(item["name"]), str(item["new_status"])) for item in update.affected_components
        ),
        incident_url=f"{base}{page.path}/incidents/{public.code}",
        document=document,
        shown_at=when(update.display_at),
    )


def build_postmortem_notice(
    session: Session,
    public: PublicIncident,
    page: Audience,
    settings: StatusPageSettings,
    base: str,
    now: datetime,
) -> Notice | None:
    """That ``public``'s postmortem is public, as an update-like notice (its status
    ``postmortem``); None once it is withdrawn."""
    if public.postmortem_published_at is None:
        return None
    snapshot = reading.snapshot(session, page, settings, now)
    story = reading.story(public, publishing.updates(session, [public.id])[public.id])
    shapes = Shapes(snapshot, base)
    incident_url = f"{base}{page.path}/incidents/{public.code}"
    return Notice(
        page_title=page.title,
        page_id=shapes.page_id,
        indicator=snapshot.indicator,
        description=snapshot.description,
        incident_name=public.name,
        update_code=f"{public.code}.postmortem",
        update_status="postmortem",
        update_body=(
            f"The postmortem of this incident is published: {public.postmortem_title}. "
            f"Read it: {incident_url}/postmortem"
        ),
        affected=(),
        incident_url=incident_url,
        document=shapes.story(story),
        shown_at=Clockface(snapshot.zone)(public.postmortem_published_at),
    )


def build_component_notice(
    session: Session,
    change: ComponentStatusChange,
    page: Audience,
    settings: StatusPageSettings,
    base: str,
    now: datetime,
) -> ComponentNotice | None:
    """The change as ``page`` tells it; None when the page does not show the component."""
    snapshot = reading.snapshot(session, page, settings, now)
    found = [component for component in snapshot.components if component.name == change.component]
    if not found:
        return None
    shapes = Shapes(snapshot, base)
    old = component_states.statuses_before(session, [change.id])[change.id]
    shaped = shapes.component_update(
        change.id, change.component, old, change.status, change.started_at
    )
    return ComponentNotice(
        page_id=shapes.page_id,
        indicator=snapshot.indicator,
        description=snapshot.description,
        component=change.component,
        new_status=change.status,
        component_update=shaped,
        shaped_component=shapes.webhook_component(found[0]),
        change_id=str(shaped["id"]),
    )


def _remembered(
    session: Session,
    key: tuple[str, str],
    notify: NotifySettings,
    build: Callable[[Audience, StatusPageSettings, str], Told | None],
) -> tuple[Told, str] | None:
    """What ``key`` (the thing told, the page's slug) says, built by ``build`` if new here.

    Kept by database too: a change's id means another change in another
    database (a process serves one, but tests open many).
    """
    kept = (str(session.get_bind().engine.url), *key)
    with _notices_lock:
        found = _notices.get(kept)
    if found is not None:
        return found
    settings = component_states.settings(session)
    try:
        page = audience(settings, key[1])
    except NotFound:
        return None
    base = base_url(settings, notify)
    notice = build(page, settings, base)
    if notice is None:
        return None
    with _notices_lock:
        _notices[kept] = (notice, base)
        while len(_notices) > KEPT:
            _notices.popitem(last=False)
    return notice, base


def update_notice(
    session: Session, told: PublicUpdate, slug: str, notify: NotifySettings, now: datetime
) -> tuple[Told, str] | None:
    return _remembered(
        session,
        (told.code, slug),
        notify,
        lambda page, settings, base: build_notice(session, told, page, settings, base, now),
    )


def told_notice(
    session: Session,
    update_id: int | None,
    postmortem_of: int | None,
    slug: str,
    notify: NotifySettings,
    now: datetime,
) -> tuple[Told, str] | None:
    """What an update (``update_id``) or a postmortem (of the public incident
    ``postmortem_of``) says on the page ``slug``; None when there is nothing to say."""
    if update_id is not None:
        told = session.get(PublicUpdate, update_id)
        return None if told is None else update_notice(session, told, slug, notify, now)
    public = session.get(PublicIncident, postmortem_of)
    if public is None or public.postmortem_updated_at is None:
        return None
    # By its text's time too: refreshed, it says the refreshed title.
    return _remembered(
        session,
        (f"postmortem:{public.id}:{public.postmortem_updated_at.isoformat()}", slug),
        notify,
        lambda page, settings, base: build_postmortem_notice(
            session, public, page, settings, base, now
        ),
    )


def notice_of(
    session: Session, delivery: Delivery, slug: str, notify: NotifySettings, now: datetime
) -> tuple[Told, str] | None:
    """What ``delivery`` says on the page ``slug``; None when there is nothing to say."""
    if delivery.component_change_id is None:
        return told_notice(session, delivery.update_id, delivery.postmortem_of, slug, notify, now)
    change = session.get(ComponentStatusChange, delivery.component_change_id)
    if change is None:
        return None
    return _remembered(
        session,
        (f"component:{change.id}", slug),
        notify,
        lambda page, settings, base: build_component_notice(
            session, change, page, settings, base, now
        ),
    )
