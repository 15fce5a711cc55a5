"""VIGIL_INGEST_RATE: one integration key over its rate is answered 429 with Retry-After, in each
front door's own format, and nothing it sent is stored; other keys go on; unset, nothing is limited."""

import pytest

from incidents.models import Alert

from .conftest import payload, post


def pd_event(integration, n: int) -> dict:
    return {
        "routing_key": integration.token,
        "event_action": "trigger",
        "dedup_key": f"disk-{n}",
        "payload": {"summary": f"Disk {n} full", "source": "db-1", "severity": "error"},
    }


@pytest.fixture
def rate(settings):
    settings.VIGIL_INGEST_RATE = "2/m"


def test_the_native_webhook_answers_429_with_retry_after_past_the_rate(rate, make_integration):
    integration, other = make_integration("alertmanager"), make_integration("alertmanager", name="Other")
    for _ in range(2):
        assert post(integration, payload("alertmanager", "firing")).status_code == 200
    refused = post(integration, payload("alertmanager", "firing"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["error"] == "throttled"
    assert Alert.objects.get(integration=integration).received_count == 2  # the third was not counted
    assert post(other, payload("alertmanager", "firing")).status_code == 200


def test_pagerduty_answers_429_as_pagerduty_does(rate, client, make_integration):
    integration = make_integration("pagerduty")
    answers = [client.post("/v2/enqueue", pd_event(integration, n), content_type="application/json") for n in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["status"] == "throttle event" and int(answers[2]["Retry-After"]) >= 1
    assert set(Alert.objects.filter(integration=integration).values_list("fingerprint", flat=True)) == {
        "disk-0",
        "disk-1",
    }


def test_opsgenie_answers_429_in_its_own_shape(rate, client, make_integration):
    integration = make_integration("opsgenie")
    auth = {"HTTP_AUTHORIZATION": f"GenieKey {integration.token}"}
    bodies = [{"message": f"Disk {n}", "alias": f"disk-{n}"} for n in range(3)]
    answers = [client.post("/v2/alerts", body, content_type="application/json", **auth) for body in bodies]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert {"message", "took", "requestId"} <= answers[2].json().keys() and answers[2]["Retry-After"]
    assert Alert.objects.filter(integration=integration).count() == 2


def test_without_a_rate_nothing_is_limited(settings, client, make_integration):
    settings.VIGIL_INGEST_RATE = ""
    integration = make_integration("pagerduty")
    for n in range(6):
        answer = client.post("/v2/enqueue", pd_event(integration, n % 2), content_type="application/json")
        assert answer.status_code == 202
