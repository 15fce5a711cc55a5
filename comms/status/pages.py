"""The status page's HTML documents and assets, rendered from comms.status.public's PublicState.

Pages link to each other and to their assets by relative paths, so the same bytes work under
Vigil's /status/ and at the root of a static host (manage.py export_status_page).

The templates render with an engine of their own: no context processors (they would look at the
user, a database query) and the page's filters built in.
"""

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context, Engine
from django.urls import reverse
from django.utils.html import escape

from .public import history_days
from .public_types import PublicEvent, PublicState
from .uptime_bars import days_shown

ASSET_DIR = Path(__file__).resolve().parent / "assets"
STALE_MARKER = b"<!--vigil:stale-->"
RECENT_DAYS = 7
BANNER = {"none": ("", "✔"), "minor": ("minor", "▲"), "major": ("major", "◆"), "critical": ("critical", "✖")}
HTML = "text/html; charset=utf-8"
ACCENT_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")


@cache
def engine() -> Engine:
    return Engine(app_dirs=True, builtins=["comms.status.template_tags"], autoescape=True)


def render(template: str, context: dict) -> bytes:
    return engine().get_template(template).render(Context(context)).encode()


# --- Assets --------------------------------------------------------------------------------------------


def _hashed(name: str, body: bytes) -> str:
    stem, _, suffix = name.rpartition(".")
    return f"assets/{stem}.{hashlib.blake2b(body, digest_size=5).hexdigest()}.{suffix}"


def assets(accent: str) -> dict[str, tuple[str, str, bytes]]:
    """{role: (path, content type, body)}: named by content, so they can be cached for good."""
    css = (ASSET_DIR / "status.css").read_bytes()
    if ACCENT_COLOUR.fullmatch(accent or ""):
        # In the stylesheet, not an inline <style>: the page's Content-Security-Policy allows none.
        css += f"\n:root {{ --accent: {accent}; }}\n".encode()
    js = (ASSET_DIR / "status.js").read_bytes()
    # Vigil's favicon (static/favicon.svg) in the page's accent colour.
    icon = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<circle cx="16" cy="16" r="13" fill="none" stroke="{escape(accent)}" stroke-width="5"/>'
        f'<circle cx="16" cy="16" r="5" fill="{escape(accent)}"/></svg>'
    ).encode()
    return {
        "css": (_hashed("status.css", css), "text/css; charset=utf-8", css),
        "js": (_hashed("status.js", js), "text/javascript; charset=utf-8", js),
        "icon": (_hashed("favicon.svg", icon), "image/svg+xml", icon),
    }


def subscribe_url() -> str:
    """Absolute: the page may be served by a static host (the export), the form is answered by Vigil."""
    return settings.VIGIL_BASE_URL + reverse("status:subscribe")


# --- Pages ---------------------------------------------------------------------------------------------


def documents(state: PublicState) -> dict[str, tuple[str, bytes | Callable[[], bytes]]]:
    """{path: (content type, body or render)} of every page and asset: each page renders when called,
    on its own (snapshot.build), so one that fails does not stop the others."""
    files = assets(state.branding.accent_colour)
    common = {
        "b": state.branding,
        "state": state,
        "taken_at": state.taken_at,
        "assets": {role: path for role, (path, _, _) in files.items()},
        "uptime_days": days_shown(),
        "subscribe_url": subscribe_url(),
        "subscribe_components": state.components,
    }
    docs = {path: (content_type, body) for path, content_type, body in files.values()}
    docs["index.html"] = (
        HTML,
        lambda: render("status/index.html", {**common, **_index_context(state), "root": ""}),
    )
    docs["history/index.html"] = (
        HTML,
        lambda: render("status/history.html", {**common, "months": _months(state), "root": "../"}),
    )
    for event in state.incidents + state.maintenances:
        docs[f"{event.path}index.html"] = (
            HTML,
            partial(render, "status/event.html", {**common, "e": event, "root": "../../"}),
        )
    # Served for any unknown path, at any depth: links from the page's own absolute path.
    root = urlsplit(state.page_url).path or "/"
    docs["404.html"] = (HTML, partial(render, "status/404.html", {**common, "root": root}))
    return docs


def _index_context(state: PublicState) -> dict:
    indicator = state.indicator
    banner_class, symbol = BANNER[indicator]
    if indicator == "minor" and state.description == "Service Under Maintenance":
        banner_class, symbol = "maint", "⚒"
    affected = [c for c in state.components if c.status != "operational"]
    return {
        "banner_class": banner_class,
        "banner_symbol": symbol,
        "affected": affected,
        "affected_notes": sorted({c.note for c in affected if c.note}),
        "recent_days": _recent(state),
    }


def _recent(state: PublicState) -> list[tuple[datetime, list[PublicEvent]]]:
    """The last RECENT_DAYS UTC days, today first, each with the incidents and maintenances begun that day."""
    today = state.taken_at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=n) for n in range(RECENT_DAYS)]
    events = [e for e in state.incidents + state.maintenances if e.status != "scheduled"]
    return [
        (day, sorted((e for e in events if _day_of(e.started_at) == day), key=lambda e: e.started_at, reverse=True))
        for day in days
    ]


def _day_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _months(state: PublicState) -> list[tuple[datetime, list[PublicEvent]]]:
    """Every month of the history window, newest first, with what began in it."""
    newest = state.taken_at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    oldest = (state.taken_at - timedelta(days=history_days())).astimezone(UTC)
    months, month = [], newest
    while (month.year, month.month) >= (oldest.year, oldest.month):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    by_month: dict[tuple[int, int], list[PublicEvent]] = {(m.year, m.month): [] for m in months}
    for event in state.incidents + state.maintenances:
        if event.status == "scheduled":
            continue
        start = event.started_at.astimezone(UTC)
        if (start.year, start.month) in by_month:
            by_month[(start.year, start.month)].append(event)
    return [(m, sorted(by_month[(m.year, m.month)], key=lambda e: e.started_at, reverse=True)) for m in months]


def stale_notice(taken_at: datetime) -> bytes:
    """What replaces STALE_MARKER when the snapshot is old: the page says it may be out of date."""
    when = taken_at.astimezone(UTC)
    return (
        '<p class="stale" role="alert" data-testid="stale">This page could not be refreshed since '
        f'<time datetime="{when:%Y-%m-%dT%H:%M:%SZ}">{when.day} {when:%b %Y, %H:%M} UTC</time>'
        "; what it shows may be out of date.</p>"
    ).encode()
