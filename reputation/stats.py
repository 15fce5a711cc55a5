"""Figures the dashboard and the incident page show: volume and sentiment per brand over time,
and the mentions during an incident. Reads only; one aggregate query each."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from incidents.models import Incident

from .linking import is_ours
from .models import Brand, Mention, MentionState, Sentiment
from .spikes import ours

NEGATIVE = Q(label=Sentiment.NEGATIVE)


@dataclass
class Series:
    """One brand's figures per bucket. sentiment is None in a bucket without mentions."""

    name: str
    ours: bool
    counts: list[int] = field(default_factory=list)
    negative: list[int] = field(default_factory=list)
    sentiment: list[float | None] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def peak(self) -> int:
        return max(self.counts, default=0)

    @property
    def negative_share(self) -> float | None:
        return sum(self.negative) / self.total if self.total else None

    @property
    def mean_sentiment(self) -> float | None:
        weighted = [(s, n) for s, n in zip(self.sentiment, self.counts, strict=True) if s is not None]
        return sum(s * n for s, n in weighted) / self.total if self.total else None


@dataclass
class Comparison:
    starts: list[datetime]
    unit: str  # "hour" or "day"
    series: list[Series]


def bucket_starts(now: datetime, days: int) -> tuple[str, list[datetime]]:
    """Hourly buckets (UTC hours) up to a week; daily ones (the viewer's days) beyond."""
    if days <= 7:
        end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours = days * 24
        return "hour", [end - timedelta(hours=hours - 1 - n) for n in range(hours)]
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    dates = [today - timedelta(days=days - 1 - n) for n in range(days)]
    return "day", [datetime.combine(day, time(0), tzinfo=zone) for day in dates]


def compare_brands(days: int = 7, now: datetime | None = None) -> Comparison:
    """Volume, negatives and mean sentiment per brand and bucket, over the last DAYS days.

    Mentions without a brand are shown as "Untagged" (there are some only when no brand is ours).
    """
    now = now or timezone.now()
    unit, starts = bucket_starts(now, days)
    trunc = TruncHour("published_at", tzinfo=UTC) if unit == "hour" else TruncDay("published_at")
    rows = (
        Mention.objects.filter(published_at__gte=starts[0], published_at__lte=now)
        .annotate(bucket=trunc)
        .values("bucket", "brand")
        .annotate(n=Count("id"), negative=Count("id", filter=NEGATIVE), sentiment=Avg("sentiment"))
        .order_by()
    )
    index = {_key(start, unit): n for n, start in enumerate(starts)}
    brands = {brand.pk: brand for brand in Brand.objects.all()}
    series: dict[int | None, Series] = {}
    for row in rows:
        slot = index.get(_key(row["bucket"], unit))
        if slot is None:
            continue
        brand = brands.get(row["brand"])
        line = series.get(row["brand"])
        if line is None:
            line = series[row["brand"]] = _empty(brand.name if brand else "Untagged", is_ours(brand), starts)
        line.counts[slot], line.negative[slot], line.sentiment[slot] = row["n"], row["negative"], row["sentiment"]
    ordered = sorted(series.values(), key=lambda line: (not line.ours, line.name))
    return Comparison(starts, unit, ordered)


def _empty(name: str, ours_: bool, starts: list[datetime]) -> Series:
    size = len(starts)
    return Series(name, ours_, [0] * size, [0] * size, [None] * size)


def _key(moment: datetime, unit: str):
    if unit == "hour":
        return moment.astimezone(UTC)
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


@dataclass
class IncidentFigures:
    linked: int
    linked_negative: int
    waiting: int
    during: int
    during_negative: int
    mean_sentiment: float | None

    @property
    def linked_negative_share(self) -> float | None:
        return self.linked_negative / self.linked if self.linked else None

    @property
    def during_negative_share(self) -> float | None:
        return self.during_negative / self.during if self.during else None


def incident_figures(incident: Incident, now: datetime | None = None) -> IncidentFigures:
    """The mentions linked to INCIDENT, and all mentions of us posted while it was open."""
    linked = Mention.objects.filter(incident=incident).aggregate(
        n=Count("id"),
        negative=Count("id", filter=NEGATIVE),
        waiting=Count("id", filter=Q(state=MentionState.NEEDS_RESPONSE)),
        sentiment=Avg("sentiment"),
    )
    until = incident.resolved_at or now or timezone.now()
    during = Mention.objects.filter(ours(), published_at__gte=incident.started_at, published_at__lte=until).aggregate(
        n=Count("id"), negative=Count("id", filter=NEGATIVE)
    )
    return IncidentFigures(
        linked=linked["n"],
        linked_negative=linked["negative"],
        waiting=linked["waiting"],
        during=during["n"],
        during_negative=during["negative"],
        mean_sentiment=linked["sentiment"],
    )
