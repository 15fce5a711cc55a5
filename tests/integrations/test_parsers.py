"""Each kind's parser reads the real example payloads and names what is wrong with a bad one."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidents.integrations.parsers import PayloadError, parse, severity_from
from incidents.models import Severity

from .conftest import payload


def test_it_reads_alertmanagers_firing_payload():
    [alert] = parse("alertmanager", payload("alertmanager", "firing"))
    assert alert.firing
    assert alert.fingerprint == "c8abf93e4616eadb"
    assert alert.group_key == '{}:{alertname="TestProbeDown"}'
    assert alert.title == "Probe failed for 127.0.0.1:8099"
    assert alert.severity == Severity.SEV1  # severity="critical"
    assert alert.labels["instance"] == "127.0.0.1:8099"
    assert alert.description == "test alert fired by amtool"
    assert alert.starts_at == datetime(2026, 11, 26, 14, 3, 53, 90249, tzinfo=UTC)
    assert alert.ends_at is None  # Go's zero time
    assert alert.source_url == ""


def test_it_reads_alertmanagers_resolved_payload():
    [alert] = parse("alertmanager", payload("alertmanager", "resolved"))
    assert alert.status == "resolved"
    assert alert.fingerprint == "c5c265e5b2463bd9"
    assert alert.severity == Severity.SEV3  # severity="warning"
    assert alert.ends_at == datetime(2026, 11, 26, 14, 4, 1, tzinfo=UTC)


def test_it_reads_grafanas_documented_payload():
    alerts = parse("grafana", payload("grafana", "firing"))
    assert [a.fingerprint for a in alerts] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]
    assert {a.group_key for a in alerts} == {"{}:{}"}
    assert alerts[0].title == "This alert was triggered for zone us-1"
    assert alerts[0].severity is None  # no severity label: the integration's default applies
    assert alerts[0].source_url == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert alerts[0].starts_at == datetime(2021, 10, 12, 9, 51, 3, 157076, tzinfo=timezone(timedelta(hours=2)))


def test_it_reads_grafanas_resolved_payload():
    alerts = parse("grafana", payload("grafana", "resolved"))
    assert {a.status for a in alerts} == {"resolved"}
    assert all(a.ends_at is not None for a in alerts)


def test_it_reads_a_generic_alert():
    [alert] = parse("generic", payload("generic", "firing"))
    assert alert.firing
    assert alert.fingerprint == alert.group_key == "db-1/disk"
    assert alert.severity == Severity.SEV3
    assert alert.labels == {"host": "db-1", "mount": "/var/lib/postgresql"}
    assert alert.source_url == "https://monitoring.example.com/hosts/db-1"


def test_it_reads_a_generic_batch_and_a_generic_resolution():
    alerts = parse("generic", payload("generic", "batch"))
    assert [a.fingerprint for a in alerts] == ["checkout-errors/eu-west", "checkout-errors/us-east", "search-latency"]
    assert [a.severity for a in alerts] == [Severity.SEV1, Severity.SEV2, Severity.SEV3]
    [resolved] = parse("generic", payload("generic", "resolved"))
    assert resolved.status == "resolved"
    assert resolved.fingerprint == "db-1/disk"


@pytest.mark.parametrize(
    ("word", "severity"),
    [("critical", "sev1"), ("ERROR", "sev2"), ("major", "sev2"), ("high", "sev2"), ("warning", "sev3"),
     ("medium", "sev3"), ("info", "sev4"), ("low", "sev4"), ("sev2", "sev2"), ("page-me", None), (3, None)],
)  # fmt: skip
def test_it_maps_the_severity_label(word, severity):
    assert severity_from(word) == severity


def _am(**changes):
    body = payload("alertmanager", "firing")
    alert_changes = changes.pop("alert", {})
    if alert_changes:
        body["alerts"][0].update(alert_changes)
    body.update(changes)
    return body


def _without(body, *path):
    *parents, last = path
    target = body
    for key in parents:
        target = target[key]
    del target[last]
    return body


MALFORMED = [
    ("alertmanager", ["not", "an", "object"], "payload: expected a JSON object"),
    ("alertmanager", _without(payload("alertmanager", "firing"), "version"), "version: missing"),
    ("alertmanager", _am(version="3"), "version: expected '4', got '3'"),
    ("alertmanager", _without(payload("alertmanager", "firing"), "groupKey"), "groupKey: missing"),
    ("alertmanager", _am(alerts={"status": "firing"}), "alerts: expected a list of alerts"),
    ("alertmanager", _am(alerts=[]), "alerts: the list of alerts is empty"),
    ("alertmanager", _am(alerts=["firing"]), "alerts[0]: expected a JSON object"),
    ("alertmanager", _without(payload("alertmanager", "firing"), "alerts", 0, "fingerprint"), "fingerprint: missing"),
    ("alertmanager", _am(alert={"fingerprint": ""}), "alerts[0].fingerprint: must not be empty"),
    ("alertmanager", _am(alert={"status": "pending"}), "alerts[0].status: expected 'firing' or 'resolved'"),
    ("alertmanager", _am(alert={"labels": {"severity": 1}}), "alerts[0].labels.severity: expected a string"),
    ("alertmanager", _am(alert={"startsAt": "yesterday"}), "alerts[0].startsAt: not an RFC 3339 time"),
    ("alertmanager", _am(alert={"startsAt": "2026-11-26T14:03:53"}), "alerts[0].startsAt: the time has no offset"),
    ("grafana", payload("alertmanager", "firing"), "version: expected '1', got '4'"),
    ("grafana", _without(payload("grafana", "firing"), "alerts", 1, "labels"), "alerts[1].labels: missing"),
    ("generic", {"dedup_key": "x"}, "title: missing"),
    ("generic", {"title": "Disk full"}, "dedup_key: missing"),
    ("generic", {"title": "Disk full", "dedup_key": "x", "severity": "apocalyptic"}, "severity: unknown severity"),
    ("generic", {"alerts": [{"title": "A", "dedup_key": "a"}, {"title": "B"}]}, "alerts[1].dedup_key: missing"),
    ("generic", {"title": "Disk full", "dedup_key": "x" * 201}, "dedup_key: longer than 200 characters"),
]


@pytest.mark.parametrize(("kind", "body", "reason"), MALFORMED, ids=[m[2] for m in MALFORMED])
def test_it_names_what_is_wrong_with_a_malformed_payload(kind, body, reason):
    with pytest.raises(PayloadError) as caught:
        parse(kind, body)
    assert reason in str(caught.value)
