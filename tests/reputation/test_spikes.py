"""Spike detection on scripted volumes: one incident per spike, however long and however often judged."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Incident, Source
from incidents.services import do_resolve
from reputation import spikes
from reputation.models import Mention, MentionSpike, MentionState
from reputation.services import MentionIn, ingest

NOW = datetime(2025, 3, 11, 10, 40, tzinfo=UTC)  # 40 minutes into the 10:00 hour
HOUR = timedelta(hours=1)
NEGATIVE = "This is terrible, everything is broken. Awful."
NEUTRAL = "Reading the docs for the export API."


def hour_start(hours_ago: int) -> datetime:
    return NOW.replace(minute=0) - hours_ago * HOUR


def script(source, volumes: dict[int, tuple[int, int]], seed: int = 7) -> None:
    """VOLUMES: {hours ago: (mentions, of which negative)}, spread over each hour."""
    rng = random.Random(seed)
    items = []
    for hours_ago, (count, negative) in volumes.items():
        start = hour_start(hours_ago)
        for n in range(count):
            text = NEGATIVE if n < negative else NEUTRAL
            minute = rng.uniform(0, 39.9 if hours_ago == 0 else 59.9)
            items.append(MentionIn(f"{text} #{hours_ago}-{n}", published_at=start + timedelta(minutes=minute)))
    ingest(source, items, now=NOW)


def quiet_week(low: int = 2, high: int = 6) -> dict[int, tuple[int, int]]:
    """A week of ordinary hours: LOW to HIGH mentions each, about one in five negative."""
    rng = random.Random(1)
    volumes = {}
    for hours_ago in range(1, 24 * 7 + 3):
        count = rng.randint(low, high)
        volumes[hours_ago] = (count, count // 5)
    return volumes


def test_the_baseline_is_the_mean_and_stddev_of_the_previous_hours_zeros_included():
    counts = {hour_start(1): (10, 5), hour_start(3): (2, 0)}
    baseline = spikes.baseline_of(counts, hour_start(0), 4)
    assert baseline.mean == 3.0
    assert baseline.stddev == pytest.approx(((7**2 + 3**2 + 1**2 + 3**2) / 4) ** 0.5)
    assert baseline.negative_share == pytest.approx(5 / 12)


def test_a_quiet_week_raises_nothing(webhook_source):
    script(webhook_source, {**quiet_week(), 0: (6, 1)})
    assert spikes.detect(NOW) == []
    assert not Incident.objects.exists()


def test_a_volume_spike_opens_one_incident_however_often_it_is_judged(webhook_source):
    script(webhook_source, {**quiet_week(), 0: (60, 12)})
    first = spikes.detect(NOW)
    assert [s.reason for s in first] == [MentionSpike.Reason.VOLUME]
    for minutes in (5, 10, 15):
        spikes.detect(NOW + timedelta(minutes=minutes))
    incident = Incident.objects.get()
    assert incident.source == Source.REPUTATION
    assert incident.dedup_key == "reputation:spike:2025-03-11T10Z"
    assert incident.title == "Mention spike: 60 mentions in an hour, 20% negative"
    assert MentionSpike.objects.count() == 1
    spike = MentionSpike.objects.get()
    assert spike.incident == incident
    assert spike.threshold < 60
    # The spike's mentions are linked to its incident.
    assert Mention.objects.filter(incident=incident).count() == 60


def test_a_spike_lasting_three_hours_is_one_spike_and_one_incident(webhook_source):
    volumes = quiet_week()
    volumes.update({2: (50, 10), 1: (70, 30), 0: (40, 8)})
    script(webhook_source, volumes)
    spikes.detect(NOW - 2 * HOUR)  # judged during each hour, as beat would
    spikes.detect(NOW - HOUR)
    spikes.detect(NOW)
    spike = MentionSpike.objects.get()
    assert spike.started_at == hour_start(2)
    assert spike.last_hour_at == hour_start(0)
    assert spike.mentions == 70  # the busiest hour describes it
    assert Incident.objects.count() == 1


def test_a_resolved_spike_incident_is_not_opened_again_by_the_same_spike(webhook_source, actor):
    script(webhook_source, {**quiet_week(), 0: (60, 12)})
    spikes.detect(NOW)
    do_resolve(actor, Incident.objects.get())
    spikes.detect(NOW + timedelta(minutes=10))
    assert Incident.objects.count() == 1


def test_a_second_spike_after_a_quiet_spell_opens_a_second_incident(webhook_source):
    volumes = quiet_week()
    volumes.update({5: (60, 10), 0: (80, 10)})
    script(webhook_source, volumes)
    spikes.detect(NOW - 5 * HOUR)
    spikes.detect(NOW)
    assert MentionSpike.objects.count() == 2
    assert Incident.objects.count() == 2
    assert Incident.objects.open().count() == 2


def test_a_rise_in_negative_share_is_a_spike_without_more_volume(webhook_source):
    script(webhook_source, {**quiet_week(low=12, high=16), 0: (14, 12)})
    found = spikes.detect(NOW)
    assert [s.reason for s in found] == [MentionSpike.Reason.NEGATIVE]
    assert Incident.objects.get().title.endswith("86% negative")


def test_a_small_rise_over_an_empty_week_is_no_spike(webhook_source):
    script(webhook_source, {0: (9, 9)})
    assert spikes.detect(NOW) == []
    script(webhook_source, {0: (1, 1)}, seed=2)  # the tenth: the floor is reached
    assert len(spikes.detect(NOW)) == 1


def test_thresholds_come_from_settings(webhook_source, settings):
    settings.VIGIL_REPUTATION_SPIKE_MIN_MENTIONS = 100
    settings.VIGIL_REPUTATION_SPIKE_SEVERITY = "sev2"
    script(webhook_source, {**quiet_week(), 0: (60, 12)})
    assert spikes.detect(NOW) == []
    settings.VIGIL_REPUTATION_SPIKE_MIN_MENTIONS = 10
    spikes.detect(NOW)
    assert Incident.objects.get().severity == "sev2"


def test_competitors_mentions_do_not_make_our_spike(webhook_source, actor):
    from reputation import services

    rival = services.do_create_brand(actor, name="Globex")
    theirs = services.do_create_source(actor, name="Globex", kind="webhook", brand=rival)
    script(webhook_source, quiet_week())
    script(theirs, {0: (200, 150)}, seed=3)
    assert spikes.detect(NOW) == []
    assert not Mention.objects.filter(brand=rival, state=MentionState.NEEDS_RESPONSE).exists()


def test_the_beat_task_runs_the_detector(webhook_source, monkeypatch):
    from reputation import tasks

    monkeypatch.setattr(spikes, "detect", lambda: ["a spike"])
    assert tasks.detect_spikes() == 1
