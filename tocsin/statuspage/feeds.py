"""The incident history as Atom and RSS, one entry per incident or maintenance.

As Statuspage's ``history.atom`` and ``history.rss`` do, each entry's content
lists the updates, newest first, as small HTML; feed readers show it as is.
"""

from __future__ import annotations

from html import escape

from feedgen.feed import FeedGenerator

from tocsin.statuspage.reading import Snapshot, Story

STATUS_WORDS = {"in_progress": "In progress"}


def _word(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def _content(snapshot: Snapshot, story: Story, link: str) -> str:
    parts = []
    if story.postmortem is not None:
        when = story.postmortem.published_at.astimezone(snapshot.zone).strftime("%b %d, %H:%M %Z")
        parts.append(
            f"<p><small>{escape(when)}</small><br><strong>Postmortem</strong> - "
            f'<a href="{escape(link)}/postmortem">{escape(story.postmortem.title)}</a></p>'
        )
    for update in story.updates:
        when = update.display_at.astimezone(snapshot.zone).strftime("%b %d, %H:%M %Z")
        parts.append(
            f"<p><small>{escape(when)}</small><br><strong>{escape(_word(update.status))}</strong>"
            f" - {escape(update.body)}</p>"
        )
    return "".join(parts)


def _generator(snapshot: Snapshot, base_url: str) -> FeedGenerator:
    base = base_url.rstrip("/")
    page_url = f"{base}{snapshot.audience.path}"
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(f"{snapshot.audience.title} - Incident History")
    feed.link(href=page_url, rel="alternate")
    feed.description(f"Incidents and maintenance of {snapshot.audience.title}")
    feed.language("en")
    feed.updated(snapshot.updated_at)
    stories = sorted(snapshot.incidents + snapshot.maintenances, key=lambda story: story.started_at)
    for story in stories:
        link = f"{page_url}/incidents/{story.code}"
        entry = feed.add_entry()
        entry.id(link)
        entry.title(story.name)
        entry.link(href=link)
        entry.published(story.created_at)
        entry.updated(story.updated_at)
        entry.content(_content(snapshot, story, link), type="html")
        entry.description(_content(snapshot, story, link))
    return feed


def atom(snapshot: Snapshot, base_url: str) -> bytes:
    feed = _generator(snapshot, base_url)
    feed.link(href=f"{base_url.rstrip('/')}{snapshot.audience.api_prefix}/history.atom", rel="self")
    return bytes(feed.atom_str(pretty=True))


def rss(snapshot: Snapshot, base_url: str) -> bytes:
    return bytes(_generator(snapshot, base_url).rss_str(pretty=True))
