"""Every real payload in fixtures/ posted to its integration's URL: one fixture in, one summary out.

As Zulip tests its webhooks: check_ingest() posts a stored payload the way its sender does and
compares a summary of what Vigil did (the answer's counts, then every incident and alert row)
with the one written here. A payload added to fixtures/ without a case here fails
test_every_fixture_has_a_case.
"""

import pytest

from incidents.models import Alert, Incident, Integration

from .conftest import FIXTURES, payload, post

CASES = {
    "alertmanager/firing": {
        "answer": {"alerts": 1, "new": 1, "opened": 1},
        "incidents": ["sev1 triggered: Probe failed for 127.0.0.1:8099"],
        "alerts": ["c8abf93e4616eadb firing: Probe failed for 127.0.0.1:8099"],
    },
    # Its alert (HighErrorRate) was never seen firing here.
    "alertmanager/resolved": {
        "answer": {"alerts": 1, "ignored": 1},
        "incidents": [],
        "alerts": [],
    },
    # No severity label: the integration's default (sev2). One group, so one incident.
    "grafana/firing": {
        "answer": {"alerts": 2, "new": 2, "opened": 1},
        "incidents": ["sev2 triggered: This alert was triggered for zone us-1"],
        "alerts": [
            "bc97ff14869b13e3 firing: This alert was triggered for zone eu-1",
            "c6eadffa33fcdf37 firing: This alert was triggered for zone us-1",
        ],
    },
    "grafana/resolved": {
        "after": ["grafana/firing"],
        "answer": {"alerts": 2, "resolved": 2, "incidents_resolved": 1},
        "incidents": ["sev2 resolved: This alert was triggered for zone us-1"],
        "alerts": [
            "bc97ff14869b13e3 resolved: This alert was triggered for zone eu-1",
            "c6eadffa33fcdf37 resolved: This alert was triggered for zone us-1",
        ],
    },
    "generic/firing": {
        "answer": {"alerts": 1, "new": 1, "opened": 1},
        "incidents": ["sev3 triggered: Disk almost full on db-1"],
        "alerts": ["db-1/disk firing: Disk almost full on db-1"],
    },
    "generic/resolved": {
        "after": ["generic/firing"],
        "answer": {"alerts": 1, "resolved": 1, "incidents_resolved": 1},
        "incidents": ["sev3 resolved: Disk almost full on db-1"],
        "alerts": ["db-1/disk resolved: Disk almost full on db-1"],
    },
    # Grouped by dedup_key: the two checkout alerts share an incident, at the worse severity.
    "generic/batch": {
        "answer": {"alerts": 3, "new": 3, "opened": 2},
        "incidents": ["sev1 triggered: Checkout error rate above 5%", "sev3 triggered: Search latency p95 above 2 s"],
        "alerts": [
            "checkout-errors/eu-west firing: Checkout error rate above 5%",
            "checkout-errors/us-east firing: Checkout error rate above 5%",
            "search-latency firing: Search latency p95 above 2 s",
        ],
    },
}


def summary(response) -> dict:
    """What a payload did: the answer's non-zero counts, then every incident and alert row, in order."""
    answer = response.json()
    incidents = answer.pop("incidents")
    counts = {
        **answer,
        "opened": len(incidents["opened"]),
        "joined": len(incidents["joined"]),
        "incidents_resolved": len(incidents["resolved"]),
    }
    return {
        "answer": {name: n for name, n in counts.items() if n},
        "incidents": [f"{i.severity} {i.status}: {i.title}" for i in Incident.objects.order_by("severity", "title")],
        "alerts": [f"{a.fingerprint} {a.status}: {a.title}" for a in Alert.objects.order_by("fingerprint", "pk")],
    }


def check_ingest(fixture: str, expected: dict) -> None:
    """Post FIXTURE ("kind/name", after the fixtures expected["after"] names) to a new integration
    of its kind, and compare the summary of what it did with EXPECTED."""
    kind, name = fixture.split("/")
    integration = Integration.objects.create(kind=kind, name=f"{kind} sender")
    for earlier in expected.get("after", []):
        assert post(integration, payload(*earlier.split("/"))).status_code == 200
    response = post(integration, payload(kind, name))
    assert response.status_code == 200, response.content
    assert summary(response) == {key: value for key, value in expected.items() if key != "after"}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_each_real_payload_does_what_its_sender_means(db, fixture):
    check_ingest(fixture, CASES[fixture])


def test_every_fixture_has_a_case():
    stored = {f"{path.parent.name}/{path.stem}" for path in FIXTURES.glob("*/*.json")}
    assert stored == set(CASES)
