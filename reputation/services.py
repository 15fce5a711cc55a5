"""Actions on mentions, their sources and brands. The dashboard, the API, the webhook and the
feed poller call these, and only these.

ingest() is the one way mentions are stored: scored (scoring.py), tagged with a brand and linked
to the incident open when they were posted (linking.py), then inserted in bulk with ON CONFLICT
DO NOTHING, so a mention delivered twice (same URL, or same source and id) is stored once.
A negative mention of us starts in the needs-response queue; anything else starts as new.
"""

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.models import Incident
from vigil.audit import Actor, record
from vigil.db import bulk_insert
from vigil.text import clean_line, clean_text

from . import scoring
from .linking import BrandMatcher, IncidentLinker, is_ours
from .models import Brand, Mention, MentionSource, MentionState, Sentiment

BATCH = 500
MAX_TEXT = 20_000
MAX_URL = Mention._meta.get_field("url").max_length
MAX_EXTERNAL_ID = Mention._meta.get_field("external_id").max_length
SOURCE_FIELDS = ["name", "kind", "brand", "url", "enabled", "poll_interval_seconds"]
BRAND_FIELDS = ["name", "ours", "keywords"]


# What ingest writes of each Mention (vigil.db.bulk_insert); the workflow's other fields take their
# defaults. The datetimes are prepared for the database here, as bulk_insert takes values as they are.
INGEST_COLUMNS = (
    "source_id", "brand_id", "platform", "external_id", "url", "author", "text", "published_at", "received_at",
    "sentiment", "label", "incident_id", "linked_automatically", "state", "state_changed_at",
)  # fmt: skip
_DATETIME_COLUMNS = ("published_at", "received_at", "state_changed_at")


class ActionError(Exception):
    """The action is not allowed in the mention's present state. The message says why."""


@dataclass
class MentionIn:
    """A mention as it arrives, before it is scored and stored."""

    text: str
    published_at: datetime | None = None
    url: str = ""
    author: str = ""
    platform: str = ""
    external_id: str = ""

    def normalised(self, now: datetime) -> "MentionIn":
        external_id = self.external_id
        if not external_id and not self.url:
            # Nothing names it: what it says, who said it and when (if the sender said) do, so a
            # sender's retry is still stored once within its source.
            when = self.published_at.isoformat() if self.published_at else ""
            external_id = "content:" + hashlib.sha256(f"{self.author}\n{when}\n{self.text}".encode()).hexdigest()
        elif len(external_id) > MAX_EXTERNAL_ID:
            external_id = "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()
        published_at = min(self.published_at or now, now)  # a clock ahead of ours does not post in the future
        # Control characters are dropped as the mention comes in (vigil.text), whatever its door.
        return MentionIn(
            text=clean_text(self.text).strip()[:MAX_TEXT],
            published_at=published_at,
            url=self.url if len(self.url) <= MAX_URL else "",
            author=clean_line(self.author)[:200],
            platform=clean_line(self.platform)[:50],
            external_id=external_id,
        )


@dataclass
class IngestResult:
    received: int = 0
    created: int = 0
    duplicates: int = 0
    linked: int = 0
    needs_response: int = 0
    incidents: set[int] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "created": self.created,
            "duplicates": self.duplicates,
            "linked": self.linked,
            "needs_response": self.needs_response,
        }

    def add(self, other: "IngestResult") -> None:
        self.received += other.received
        self.created += other.created
        self.duplicates += other.duplicates
        self.linked += other.linked
        self.needs_response += other.needs_response
        self.incidents |= other.incidents


class Pipeline:
    """What turns MentionIn into unsaved Mention rows: the brands and the incidents of a time span."""

    def __init__(self, start: datetime, end: datetime):
        self.matcher = BrandMatcher.load()
        self.linker = IncidentLinker.for_span(start, end)

    def build(self, item: MentionIn, source: MentionSource | None, now: datetime) -> Mention:
        return Mention(**self.values(item, source, now))

    def values(self, item: MentionIn, source: MentionSource | None, now: datetime) -> dict:
        """ITEM's Mention fields by attname (INGEST_COLUMNS): ingest writes them without making a Mention."""
        compound = scoring.score(item.text)
        label = scoring.label_for(compound)
        source_brand = self.matcher.by_id.get(source.brand_id) if source is not None and source.brand_id else None
        brand = self.matcher.brand_for(item.text, source_brand)
        ours = is_ours(brand)
        incident_id = self.linker.incident_for(item.text, item.published_at, self.matcher.names_us(item.text))
        incident_id = incident_id if ours else None
        needs_answer = ours and label == Sentiment.NEGATIVE
        return {
            "source_id": source.pk if source is not None else None,
            "brand_id": brand.pk if brand is not None else None,
            "platform": item.platform or (source.name[:50] if source is not None else ""),
            "external_id": item.external_id,
            "url": item.url,
            "author": item.author,
            "text": item.text,
            "published_at": item.published_at,
            "received_at": now,
            "sentiment": compound,
            "label": label,
            "incident_id": incident_id,
            "linked_automatically": incident_id is not None,
            "state": MentionState.NEEDS_RESPONSE if needs_answer else MentionState.NEW,
            "state_changed_at": now if needs_answer else None,
        }


def _first_of_each(items: Iterable[MentionIn]) -> list[MentionIn]:
    """ITEMS less those repeating an earlier one's URL or id."""
    urls, ids, kept = set(), set(), []
    for item in items:
        if (item.url and item.url in urls) or (item.external_id and item.external_id in ids):
            continue
        urls.add(item.url)
        ids.add(item.external_id)
        kept.append(item)
    return kept


def _values(rows: list[dict]) -> list[tuple]:
    """ROWS (Pipeline.values) as INGEST_COLUMNS tuples: what bulk_create would send, without a Mention per row
    or preparing each of its fields (measured: 39% of ingest). Datetimes go as the backend takes them."""
    row_of = itemgetter(*INGEST_COLUMNS)  # one C call a row (issue #23: a generator per row cost 10% of ingest)
    if connection.vendor == "postgresql":
        return [row_of(values) for values in rows]  # its adapt_datetimefield_value returns the value itself
    adapt = connection.ops.adapt_datetimefield_value
    positions = [INGEST_COLUMNS.index(name) for name in _DATETIME_COLUMNS]
    out = []
    for values in rows:
        row = list(row_of(values))
        for position in positions:
            row[position] = adapt(row[position])
        out.append(tuple(row))
    return out


def _not_stored(entries: list[tuple]) -> list[tuple]:
    """ENTRIES ((index, source, item), as ingest_many holds them) less those already stored: two indexed reads,
    so `created` counts what is new."""
    urls = {item.url for _, _, item in entries if item.url}
    pairs = {(source.pk, item.external_id) for _, source, item in entries if source is not None and item.external_id}
    known_urls = set(Mention.objects.filter(url__in=urls).values_list("url", flat=True)) if urls else set()
    known_pairs = set()
    if pairs:
        # The sources' ids and the items' ids, crossed: a superset of PAIRS, one query for a feed poll's batch.
        ids = Mention.objects.filter(source_id__in={pk for pk, _ in pairs}, external_id__in={i for _, i in pairs})
        known_pairs = set(ids.values_list("source_id", "external_id")) & pairs
    return [
        entry
        for entry in entries
        if entry[2].url not in known_urls and (entry[1] and entry[1].pk, entry[2].external_id) not in known_pairs
    ]


def ingest(source: MentionSource | None, items: Sequence[MentionIn], now: datetime | None = None) -> IngestResult:
    """Score, tag, link and store ITEMS in bulk, in one transaction; duplicates are skipped.

    `created` is exact unless another request stores the same mention at the same moment; the
    unique constraints keep it stored once either way.
    """
    return ingest_many([(source, items)], now)[0]


def ingest_many(
    batches: Sequence[tuple[MentionSource | None, Sequence[MentionIn]]], now: datetime | None = None
) -> list[IngestResult]:
    """ingest() for several sources' items at once, their results in BATCHES' order: one transaction, one read of
    the brands and incidents, one read of what is stored and one COPY per BATCH mentions, whatever the sources.

    The feed poller stores its feeds so (feeds.record_many): measured on 500 feeds of 20 entries, one ingest()
    per feed made 12 round trips and a commit per feed, and those, not the parsing, were most of the poll.
    A URL is one mention whichever source brings it: the first batch naming it has it.
    """
    now = now or timezone.now()
    results = [IngestResult(received=len(items)) for _, items in batches]
    fresh, urls = [], set()
    for index, (source, items) in enumerate(batches):
        for item in _first_of_each(item.normalised(now) for item in items if item.text.strip()):
            if not (item.url and item.url in urls):
                urls.add(item.url)
                fresh.append((index, source, item))
    if fresh:
        times = [item.published_at for _, _, item in fresh]
        pipeline = Pipeline(min(times), max(times))
        with transaction.atomic():
            for start in range(0, len(fresh), BATCH):
                chunk = _not_stored(fresh[start : start + BATCH])
                rows = [pipeline.values(item, source, now) for _, source, item in chunk]
                # ON CONFLICT DO NOTHING: the unique constraints keep a mention stored once (see ingest's docstring).
                bulk_insert(Mention, INGEST_COLUMNS, _values(rows), ignore_conflicts=True)
                for (index, _, _), row in zip(chunk, rows, strict=True):
                    _count(results[index], row)
            received = {source.pk for _, source, _ in fresh if source is not None}
            if received:
                MentionSource.objects.filter(pk__in=received).update(last_received_at=now)
    for result in results:
        result.duplicates = result.received - result.created
    return results


def _count(result: IngestResult, row: dict) -> None:
    result.created += 1
    result.linked += row["incident_id"] is not None
    result.needs_response += row["state"] == MentionState.NEEDS_RESPONSE
    if row["incident_id"]:
        result.incidents.add(row["incident_id"])


# --- The webhook ---------------------------------------------------------------------------

_NO_SOURCE_SECRET = MentionSource._meta.get_field("secret").default()


def access_webhook(pk: int, secret: str) -> MentionSource | None:
    """The enabled webhook source PK whose secret is SECRET, or None.

    The secrets are compared in constant time, and an unknown source is compared against a
    stand-in, so the answer's timing tells nothing about either.
    """
    source = MentionSource.objects.filter(pk=pk, kind=MentionSource.Kind.WEBHOOK, enabled=True).first()
    expected = source.secret if source is not None else _NO_SOURCE_SECRET
    matches = hmac.compare_digest(expected.encode(), (secret or "").encode())
    return source if matches and source is not None else None


def do_receive(source: MentionSource, items: Sequence[MentionIn]) -> IngestResult:
    return ingest(source, items)


# --- Mentions by hand ----------------------------------------------------------------------


def do_add_mention(
    actor: Actor,
    *,
    text: str,
    published_at: datetime | None = None,
    url: str = "",
    author: str = "",
    platform: str = "",
    source: MentionSource | None = None,
    incident: Incident | None = None,
) -> Mention:
    """Manual entry: scored and linked like any other; INCIDENT, if given, links it by hand."""
    now = timezone.now()
    item = MentionIn(text=text, published_at=published_at, url=url, author=author, platform=platform).normalised(now)
    if not item.text:
        raise ValidationError({"text": "A mention needs its text."})
    mention = Pipeline(item.published_at, item.published_at).build(item, source, now)
    if incident is not None:
        mention.incident, mention.linked_automatically = incident, False
    try:
        with transaction.atomic():
            mention.save()
            record(actor, "mention.create", mention, url=url)
    except IntegrityError:
        raise ValidationError({"url": "A mention with this URL is already recorded."}) from None
    return mention


def _locked(mention: Mention) -> Mention:
    return Mention.objects.select_for_update().get(pk=mention.pk)


@transaction.atomic
def do_change_state(actor: Actor, mention: Mention, state: str, response: str = "") -> Mention:
    """Move MENTION along its workflow. Responding needs the text of the answer given."""
    mention = _locked(mention)
    if state not in MentionState.values:
        raise ActionError(f"{state!r} is not a mention state.")
    if state == mention.state:
        return mention
    if not mention.can_move_to(state):
        raise ActionError(f"A mention cannot move from {mention.state} to {state}.")
    now = timezone.now()
    previous = mention.state
    mention.state, mention.state_changed_at = state, now
    if state == MentionState.RESPONDED:
        if not response.strip():
            raise ActionError("Say what was answered: a response needs its text.")
        mention.response, mention.responded_by, mention.responded_at = response.strip(), actor.user, now
    mention.save(update_fields=["state", "state_changed_at", "response", "responded_by", "responded_at"])
    record(actor, "mention.state", mention, previous=previous, state=state)
    return mention


@transaction.atomic
def do_link(actor: Actor, mention: Mention, incident: Incident | None) -> Mention:
    """Link MENTION to INCIDENT by hand (None unlinks it)."""
    mention = _locked(mention)
    mention.incident, mention.linked_automatically = incident, False
    mention.save(update_fields=["incident", "linked_automatically"])
    record(actor, "mention.link", mention, incident=incident.pk if incident else None)
    return mention


@transaction.atomic
def do_delete_mention(actor: Actor, mention: Mention) -> None:
    record(actor, "mention.delete", mention, url=mention.url)
    mention.delete()


# --- Sources and brands --------------------------------------------------------------------


def _check_fields(fields: dict, allowed: list[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")


@transaction.atomic
def do_create_source(actor: Actor, **fields) -> MentionSource:
    _check_fields(fields, SOURCE_FIELDS)
    source = MentionSource(**fields, created_by=actor.user)
    source.full_clean(exclude=["created_by"])
    if source.is_feed:
        source.next_poll_at = timezone.now()
    source.save()
    record(actor, "mention_source.create", source, kind=source.kind)
    return source


@transaction.atomic
def do_update_source(actor: Actor, source: MentionSource, **changes) -> MentionSource:
    _check_fields(changes, SOURCE_FIELDS)
    source = MentionSource.objects.select_for_update().get(pk=source.pk)
    moved = "url" in changes and changes["url"] != source.url
    for name, value in changes.items():
        setattr(source, name, value)
    source.full_clean(exclude=["created_by"])
    if moved:  # another feed: its validators belong to the old one
        source.etag, source.last_modified = "", ""
    if source.is_feed and source.enabled and (moved or source.next_poll_at is None):
        source.next_poll_at = timezone.now()
    source.save()
    record(actor, "mention_source.update", source, changed=sorted(changes))
    return source


@transaction.atomic
def do_rotate_secret(actor: Actor, source: MentionSource) -> MentionSource:
    """A new webhook secret; the old one stops working at once."""
    source.secret = MentionSource._meta.get_field("secret").default()
    source.save(update_fields=["secret"])
    record(actor, "mention_source.rotate_secret", source)
    return source


@transaction.atomic
def do_delete_source(actor: Actor, source: MentionSource) -> None:
    """Its mentions stay, without a source."""
    record(actor, "mention_source.delete", source, name=source.name)
    source.delete()


def _save_brand(brand: Brand) -> None:
    brand.full_clean()
    if brand.ours and Brand.objects.filter(ours=True).exclude(pk=brand.pk).exists():
        raise ValidationError({"ours": "Another brand is already ours."})
    try:
        with transaction.atomic():
            brand.save()
    except IntegrityError:
        raise ValidationError({"ours": "Another brand is already ours."}) from None


@transaction.atomic
def do_create_brand(actor: Actor, **fields) -> Brand:
    _check_fields(fields, BRAND_FIELDS)
    brand = Brand(**fields)
    _save_brand(brand)
    record(actor, "brand.create", brand, ours=brand.ours)
    return brand


@transaction.atomic
def do_update_brand(actor: Actor, brand: Brand, **changes) -> Brand:
    _check_fields(changes, BRAND_FIELDS)
    for name, value in changes.items():
        setattr(brand, name, value)
    _save_brand(brand)
    record(actor, "brand.update", brand, changed=sorted(changes))
    return brand


@transaction.atomic
def do_delete_brand(actor: Actor, brand: Brand) -> None:
    record(actor, "brand.delete", brand, name=brand.name)
    brand.delete()
