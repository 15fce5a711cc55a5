"""Spikes: an hour whose mentions of us rise beyond a rolling baseline opens one incident.

Beat runs reputation.tasks.detect_spikes every five minutes. Each run judges the hour
in progress and the one before it (UTC hours), counting mentions of us (our brand, or none) by
the time they were posted:

- the baseline is the BASELINE_HOURS hours before the hour judged (default 168: a week, so every
  hour of the day and every weekday weighs alike), hours without a mention counted as zero: their
  mean and standard deviation of mentions an hour, and their share of negative mentions;
- volume spike: the hour has at least mean + K x stddev mentions (K default 3), and at least
  MIN_MENTIONS (default 10), so a quiet week's two-mention hour is no spike;
- negative spike: at least MIN_MENTIONS negative mentions, and a negative share at least
  NEGATIVE_RISE (default 0.25) above the baseline's.

A spike is a run of consecutive spiking hours: one MentionSpike row keyed by its first hour, one
incident (source: reputation), whose dedup key names that first hour, so the incidents' unique
constraint on open dedup keys holds it to one however many runs and workers see it. The spike's
unlinked mentions of us are linked to that incident. The hour in progress is judged against
whole hours, so a spike is seen as soon as its count passes the threshold.
"""

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident, Severity, Source
from vigil.audit import Actor

from .models import Mention, MentionSpike, Sentiment

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
ACTOR = Actor(via="reputation")


@dataclass(frozen=True)
class Thresholds:
    k: float
    min_mentions: int
    negative_rise: float
    baseline_hours: int
    severity: str

    @classmethod
    def from_settings(cls) -> "Thresholds":
        severity = settings.VIGIL_REPUTATION_SPIKE_SEVERITY
        return cls(
            k=settings.VIGIL_REPUTATION_SPIKE_K,
            min_mentions=max(1, settings.VIGIL_REPUTATION_SPIKE_MIN_MENTIONS),
            negative_rise=settings.VIGIL_REPUTATION_SPIKE_NEGATIVE_RISE,
            baseline_hours=max(1, settings.VIGIL_REPUTATION_BASELINE_HOURS),
            severity=severity if severity in Severity.values else Severity.SEV3,
        )


@dataclass(frozen=True)
class Baseline:
    mean: float
    stddev: float
    negative_share: float

    def threshold(self, thresholds: Thresholds) -> float:
        return max(float(thresholds.min_mentions), self.mean + thresholds.k * self.stddev)


def ours() -> Q:
    return Q(brand__isnull=True) | Q(brand__ours=True)


def hourly_counts(since: datetime, until: datetime) -> dict[datetime, tuple[int, int]]:
    """{UTC hour: (mentions of us, negative ones)} for the hours in [SINCE, UNTIL) that had any."""
    rows = (
        Mention.objects.filter(ours(), published_at__gte=since, published_at__lt=until)
        .annotate(hour=TruncHour("published_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("id"), negative=Count("id", filter=Q(label=Sentiment.NEGATIVE)))
        .order_by()
    )
    return {row["hour"].astimezone(UTC): (row["n"], row["negative"]) for row in rows}


def baseline_of(counts: dict[datetime, tuple[int, int]], hour: datetime, hours: int) -> Baseline:
    """The HOURS hours before HOUR, from COUNTS, hours without mentions counted as zero."""
    volumes, total_negative = [], 0
    for n in range(1, hours + 1):
        mentions, negative = counts.get(hour - n * HOUR, (0, 0))
        volumes.append(mentions)
        total_negative += negative
    mean = sum(volumes) / hours
    stddev = math.sqrt(sum((v - mean) ** 2 for v in volumes) / hours)
    total = sum(volumes)
    return Baseline(mean, stddev, total_negative / total if total else 0.0)


def judge(mentions: int, negative: int, baseline: Baseline, thresholds: Thresholds) -> str | None:
    """The reason HOUR is a spike (MentionSpike.Reason), or None."""
    if mentions >= baseline.threshold(thresholds):
        return MentionSpike.Reason.VOLUME
    if (
        negative >= thresholds.min_mentions
        and negative / mentions >= baseline.negative_share + thresholds.negative_rise
    ):
        return MentionSpike.Reason.NEGATIVE
    return None


def detect(now: datetime | None = None, thresholds: Thresholds | None = None) -> list[MentionSpike]:
    """Judge the hour in progress and the one before; returns the spikes they are part of."""
    now = (now or timezone.now()).astimezone(UTC)
    thresholds = thresholds or Thresholds.from_settings()
    current = now.replace(minute=0, second=0, microsecond=0)
    counts = hourly_counts(current - (thresholds.baseline_hours + 1) * HOUR, current + HOUR)
    spikes = []
    for hour in (current - HOUR, current):  # oldest first: a spike's first hour is recorded first
        mentions, negative = counts.get(hour, (0, 0))
        baseline = baseline_of(counts, hour, thresholds.baseline_hours)
        reason = judge(mentions, negative, baseline, thresholds)
        if reason is None:
            continue
        spike = _record(hour, mentions, negative, baseline, baseline.threshold(thresholds), reason)
        _raise(spike, thresholds)
        spikes.append(spike)
    return spikes


def _record(hour: datetime, mentions: int, negative: int, baseline: Baseline, threshold: float, reason: str):
    """The spike HOUR belongs to: the one that reached the hour before, or a new one from HOUR."""
    figures = {
        "mentions": mentions,
        "negative": negative,
        "baseline_mean": baseline.mean,
        "baseline_stddev": baseline.stddev,
        "baseline_negative_share": baseline.negative_share,
        "threshold": threshold,
        "reason": reason,
    }
    with transaction.atomic():
        spike = (
            MentionSpike.objects.select_for_update()
            .filter(started_at__lte=hour, last_hour_at__gte=hour - HOUR)
            .order_by("-started_at")
            .first()
        )
        if spike is None:
            try:
                with transaction.atomic():
                    return MentionSpike.objects.create(started_at=hour, last_hour_at=hour, **figures)
            except IntegrityError:  # another run recorded it a moment ago
                spike = MentionSpike.objects.select_for_update().get(started_at=hour)
        spike.last_hour_at = max(spike.last_hour_at, hour)
        if mentions >= spike.mentions:  # the busiest hour's figures describe the spike
            for name, value in figures.items():
                setattr(spike, name, value)
        spike.save()
    return spike


def _describe(spike: MentionSpike) -> tuple[str, str]:
    share = f"{spike.negative_share:.0%}"
    title = f"Mention spike: {spike.mentions} mentions in an hour, {share} negative"
    summary = (
        f"From {spike.started_at:%Y-%m-%d %H:00} UTC, mentions of us rose to {spike.mentions} in an hour "
        f"({spike.negative} negative, {share}), against a baseline of {spike.baseline_mean:.1f} an hour "
        f"(standard deviation {spike.baseline_stddev:.1f}; threshold {spike.threshold:.0f}) and a usual "
        f"negative share of {spike.baseline_negative_share:.0%}."
    )
    open_incidents = list(Incident.objects.open().exclude(source=Source.REPUTATION).values_list("pk", flat=True)[:5])
    if open_incidents:
        summary += " Open at the time: " + ", ".join(f"#{pk}" for pk in open_incidents) + "."
    return title, summary


def _raise(spike: MentionSpike, thresholds: Thresholds) -> None:
    """Open the spike's one incident if it has none yet, and link the spike's mentions to it."""
    if spike.incident_id is None:
        title, summary = _describe(spike)
        incident, created = incident_services.do_declare(
            ACTOR,
            title=title,
            summary=summary,
            severity=thresholds.severity,
            source=Source.REPUTATION,
            dedup_key=spike.dedup_key,
        )
        # Another run may have set it meanwhile: only an empty one is filled, and the
        # dedup key made that run find this same incident.
        MentionSpike.objects.filter(pk=spike.pk, incident__isnull=True).update(incident=incident)
        spike.incident = incident
        if created:
            logger.warning("reputation: mention spike from %s opened incident %s", spike.started_at, incident.pk)
    incident = Incident.objects.filter(pk=spike.incident_id).first()
    if incident is not None and incident.is_open:
        Mention.objects.filter(
            ours(),
            incident__isnull=True,
            published_at__gte=spike.started_at,
            published_at__lt=spike.last_hour_at + HOUR,
        ).update(incident=incident, linked_automatically=True)
