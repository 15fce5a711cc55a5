"""Atom and RSS feeds of the public incidents and maintenances (Django's syndication framework).

Rendered into the snapshot like every other public document (feed.atom, feed.rss), so a feed
reader polling every minute costs no query either. Items are made from comms.status.public's
PublicEvent only: name, public status, impact, times, public updates.
"""

from collections.abc import Callable
from datetime import UTC
from urllib.parse import urlsplit

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, linebreaks

from .public_types import PublicEvent, PublicState

ITEMS = 50


class _Origin:
    """What Feed.get_feed asks of a request: the page's host and scheme (every link is absolute)."""

    def __init__(self, url: str, path: str):
        parts = urlsplit(url)
        self.host, self.secure, self.path = parts.netloc, parts.scheme == "https", path

    def get_host(self) -> str:
        return self.host

    def is_secure(self) -> bool:
        return self.secure


class HistoryAtom(Feed):
    feed_type = Atom1Feed
    file_name = "feed.atom"

    def __init__(self, state: PublicState):
        super().__init__()
        self.state = state

    def title(self) -> str:
        return f"{self.state.branding.name}: incident history"

    def subtitle(self) -> str:
        return f"Incidents and maintenance on {self.state.branding.name}"

    description = subtitle

    def link(self) -> str:
        return self.state.page_url

    def feed_url(self) -> str:
        return self.state.page_url + self.file_name

    def items(self) -> list[PublicEvent]:
        events = self.state.incidents + self.state.maintenances
        return sorted(events, key=lambda e: e.updated_at, reverse=True)[:ITEMS]

    def item_title(self, event: PublicEvent) -> str:
        prefix = "Maintenance: " if event.kind == "maintenance" else ""
        return f"{prefix}{event.name} ({event.status_label})"

    def item_link(self, event: PublicEvent) -> str:
        return self.state.page_url + event.path

    def item_description(self, event: PublicEvent) -> str:
        parts = []
        if event.kind == "maintenance":
            parts.append(
                f"<p>Scheduled for {_when(event.scheduled_for)} to {_when(event.scheduled_until)}.</p>"
                + linebreaks(escape(event.message))
            )
        if event.components:
            parts.append("<p>Affects: " + escape(", ".join(c.name for c in event.components)) + ".</p>")
        for update in event.updates:
            parts.append(
                f"<p><strong>{escape(update.status_label)}</strong> ({_when(update.created_at)})<br>"
                f"{escape(update.body)}</p>"
            )
        return "".join(parts)

    def item_pubdate(self, event: PublicEvent):
        return event.created_at

    def item_updateddate(self, event: PublicEvent):
        return event.updated_at

    def item_guid(self, event: PublicEvent) -> str:
        return self.item_link(event)

    def render(self) -> bytes:
        feed = self.get_feed(None, _Origin(self.state.page_url, self.feed_url()))
        return feed.writeString("utf-8").encode()


class HistoryRss(HistoryAtom):
    feed_type = Rss201rev2Feed
    file_name = "feed.rss"


def _when(value) -> str:
    value = value.astimezone(UTC)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def documents(state: PublicState) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """{path: (content type, render)}: each feed renders when called, on its own (snapshot.build)."""
    return {
        HistoryAtom.file_name: ("application/atom+xml; charset=utf-8", HistoryAtom(state).render),
        HistoryRss.file_name: ("application/rss+xml; charset=utf-8", HistoryRss(state).render),
    }
