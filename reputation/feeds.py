"""Feed polling: RSS and Atom sources, fetched with conditional GET and parsed with feedparser.

Beat runs reputation.tasks.poll_feeds every minute. Each run claims the enabled feeds
whose next_poll_at has come, moving it forward by the source's interval so no other run takes
them (vigil.claims, as monitoring.dispatch does for monitors: SELECT ... FOR UPDATE SKIP LOCKED
on PostgreSQL, the IMMEDIATE transaction's write lock on SQLite). Threads fetch and parse; this thread writes
what has come back, up to RECORD_BATCH feeds a transaction (record_many): a feed's mentions and its new
validators (ETag, Last-Modified) commit together, so a failed import is fetched again in full next time.

A feed that is not well-formed is refused whole, with feedparser's reason on the source: its
loose parser would return the entries it could make out, and a half-read feed is not imported.
A server that answers 304 Not Modified costs one request and no parsing.
"""

import html
import logging
import re
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import feedparser
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from vigil import claims
from vigil.db import bulk_set

from . import http
from .models import MentionSource
from .services import IngestResult, MentionIn, ingest, ingest_many

logger = logging.getLogger(__name__)

Status = MentionSource.PollStatus
# Not errors: a feed served as text/plain, or in another encoding than declared, still parses whole.
HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
MAX_BACKOFF = timedelta(hours=6)
RECORD_BATCH = 100  # polls recorded in one transaction at most (record_many)
SPACES = re.compile(r"\s+")


@dataclass
class Snapshot:
    """What a fetching thread needs of a source: no model instance crosses threads."""

    pk: int
    url: str
    etag: str
    last_modified: str
    name: str


@dataclass
class Outcome:
    status: str
    entries: list[MentionIn] = field(default_factory=list)
    etag: str = ""
    last_modified: str = ""
    error: str = ""


@dataclass
class PollReport:
    polled: int = 0
    imported: int = 0
    not_modified: int = 0
    failed: int = 0
    mentions: IngestResult = field(default_factory=IngestResult)
    seconds: float = 0.0


def concurrency() -> int:
    return max(1, settings.VIGIL_REPUTATION_POLL_CONCURRENCY)


# --- Claiming ------------------------------------------------------------------------------


def claim_due(now: datetime, limit: int) -> list[MentionSource]:
    """Claim up to LIMIT due feeds, most overdue first, moving each one's next poll an interval ahead."""
    due = MentionSource.objects.filter(kind=MentionSource.Kind.FEED, enabled=True, next_poll_at__lte=now)
    lease = claims.lease_until(now, "poll_interval_seconds")
    ids = [pk for (pk,) in claims.claim(due.order_by("next_poll_at"), limit, next_poll_at=lease)]
    by_id = MentionSource.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids]


# --- Fetching and parsing (any thread) -------------------------------------------------------


def fetch(source: Snapshot) -> Outcome:
    """Fetch SOURCE with its validators and parse it. No database access: runs in a pool."""
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        response = http.get(source.url, headers)
    except http.FetchError as exc:
        return Outcome(Status.FAILED, error=str(exc))
    if response.status == 304:
        return Outcome(Status.NOT_MODIFIED)
    if response.status != 200:
        return Outcome(Status.FAILED, error=f"HTTP {response.status}")
    return parse(response.body, response.headers, source.url, source.name)


def parse(body: bytes, headers: dict[str, str], url: str = "", name: str = "") -> Outcome:
    """BODY as a feed's entries, or a failed Outcome saying why nothing was imported."""
    lowered = {key.lower(): value for key, value in headers.items()}
    parsed = feedparser.parse(
        body, response_headers={"content-type": lowered.get("content-type", ""), "content-location": url}
    )
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), HARMLESS):
        return Outcome(Status.FAILED, error=f"malformed feed, nothing imported: {_describe(parsed.bozo_exception)}")
    if not parsed.version:
        return Outcome(Status.FAILED, error="not an RSS or Atom feed, nothing imported")
    entries = [mention for entry in parsed.entries if (mention := entry_to_mention(entry, name)) is not None]
    return Outcome(
        Status.IMPORTED, entries, etag=lowered.get("etag", ""), last_modified=lowered.get("last-modified", "")
    )


def _describe(exc: Exception | None) -> str:
    if exc is None:
        return "unknown error"
    line = getattr(exc, "getLineNumber", None)
    where = f" (line {line()})" if callable(line) else ""
    return f"{exc}{where}"[:300]


def _plain(value: str) -> str:
    return SPACES.sub(" ", html.unescape(strip_tags(value or ""))).strip()


def _when(entry) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def entry_to_mention(entry, platform: str = "") -> MentionIn | None:
    title, summary = _plain(entry.get("title", "")), _plain(entry.get("summary", ""))
    text = summary if summary.startswith(title) else " — ".join(part for part in (title, summary) if part)
    if not text:
        return None
    link = entry.get("link", "") or ""
    url = link if link.startswith(("http://", "https://")) else ""
    return MentionIn(
        text=text,
        published_at=_when(entry),
        url=url,
        author=_plain(entry.get("author", "")),
        platform=platform,
        external_id=entry.get("id", "") or url,
    )


# --- Recording (this thread) -----------------------------------------------------------------


def record(source: MentionSource, outcome: Outcome, now: datetime) -> IngestResult:
    """Store a poll's OUTCOME: the mentions and the source's new state, in one transaction."""
    result = IngestResult()
    try:
        with transaction.atomic():
            if outcome.status == Status.IMPORTED:
                result = ingest(source, outcome.entries, now=now)
            MentionSource.objects.filter(pk=source.pk).update(**_fields(source, outcome, now))
    except DatabaseError as exc:
        logger.exception("reputation: could not store the poll of feed %s", source.pk)
        outcome.status = Status.FAILED
        fields = {"last_polled_at": now, "last_status": Status.FAILED}
        _failed(source, f"could not store the mentions: {exc}", now, fields)
        MentionSource.objects.filter(pk=source.pk).update(**fields)
        return IngestResult()
    return result


def record_many(polled: list[tuple[MentionSource, Outcome]], now: datetime) -> list[IngestResult]:
    """Store several polls' outcomes in one transaction: one ingest_many for all their mentions, one UPDATE per kind
    of outcome for the sources. Each feed's mentions and validators still commit together; if the transaction
    fails, each poll is stored on its own (record), so a bad one costs only its own import."""
    imported = [(source, outcome.entries) for source, outcome in polled if outcome.status == Status.IMPORTED]
    try:
        with transaction.atomic():
            results = dict(zip((source.pk for source, _ in imported), ingest_many(imported, now), strict=True))
            by_fields = defaultdict(list)
            for source, outcome in polled:
                fields = _fields(source, outcome, now)
                by_fields[tuple(fields)].append(MentionSource(pk=source.pk, **fields))
            for names, sources in by_fields.items():
                bulk_set(sources, names)
    except DatabaseError:
        logger.warning("reputation: could not store %d polls together; storing each alone", len(polled))
        return [record(source, outcome, now) for source, outcome in polled]
    return [results.get(source.pk, IngestResult()) for source, _ in polled]


def _fields(source: MentionSource, outcome: Outcome, now: datetime) -> dict:
    """The source's fields after a poll whose outcome is OUTCOME."""
    fields = {"last_polled_at": now, "last_status": outcome.status}
    if outcome.status == Status.IMPORTED:
        fields.update(etag=outcome.etag[:500], last_modified=outcome.last_modified[:100])
        fields.update(last_imported_at=now, last_error="", failures=0)
    elif outcome.status == Status.NOT_MODIFIED:
        fields.update(last_error="", failures=0)
    else:
        _failed(source, outcome.error, now, fields)
    return fields


def _failed(source: MentionSource, error: str, now: datetime, fields: dict) -> None:
    """A failing feed is polled less often, up to MAX_BACKOFF, until it works again."""
    failures = source.failures + 1
    backoff = min(timedelta(seconds=source.poll_interval_seconds) * 2 ** min(failures - 1, 10), MAX_BACKOFF)
    fields.update(last_error=error[:500], failures=failures, next_poll_at=now + backoff, last_status=Status.FAILED)


def poll(sources: list[MentionSource], now: datetime | None = None, workers: int | None = None) -> PollReport:
    """Fetch SOURCES in a thread pool; record what has come back each time this thread is free, RECORD_BATCH
    polls a transaction at most (record_many): a feed's round trips are not paid one feed at a time."""
    started = time.perf_counter()
    now = now or timezone.now()
    report = PollReport()
    by_pk = {source.pk: source for source in sources}
    with ThreadPoolExecutor(max_workers=workers or concurrency(), thread_name_prefix="feed") as pool:
        waiting = {pool.submit(fetch, Snapshot(s.pk, s.url, s.etag, s.last_modified, s.name)): s.pk for s in sources}
        while waiting:
            done, _ = wait(waiting, return_when=FIRST_COMPLETED)
            polled = [(by_pk[waiting.pop(future)], _outcome(future)) for future in done]
            for start in range(0, len(polled), RECORD_BATCH):
                batch = polled[start : start + RECORD_BATCH]
                for (_, outcome), result in zip(batch, record_many(batch, now), strict=True):
                    _tally(report, outcome, result)  # after recording, which may turn an outcome into a failure
    report.seconds = time.perf_counter() - started
    return report


def _outcome(future) -> Outcome:
    try:
        return future.result()
    except Exception as exc:  # a parser crash on one feed must not stop the others
        logger.exception("reputation: a feed could not be read")
        return Outcome(Status.FAILED, error=f"could not read the feed: {type(exc).__name__}")


def _tally(report: PollReport, outcome: Outcome, result: IngestResult) -> None:
    report.mentions.add(result)
    report.polled += 1
    report.imported += outcome.status == Status.IMPORTED
    report.not_modified += outcome.status == Status.NOT_MODIFIED
    report.failed += outcome.status == Status.FAILED


def poll_due(now: datetime | None = None, limit: int = 1000) -> PollReport:
    """Claim the due feeds and poll them. What beat's task runs."""
    now = now or timezone.now()
    return poll(claim_due(now, limit), now)


def do_poll_now(source: MentionSource) -> PollReport:
    """Poll one feed at once (the dashboard's button), whatever its schedule."""
    now = timezone.now()
    MentionSource.objects.filter(pk=source.pk).update(
        next_poll_at=now + timedelta(seconds=source.poll_interval_seconds)
    )
    return poll([source], now, workers=1)
