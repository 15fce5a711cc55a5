"""The probe agents' API (issue #21, monitoring.api.agent): a location's token, its assignments with
an ETag, and the batches of results it pushes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from monitoring import locations, services
from monitoring.models import CheckResult, Location, Monitor
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil_probes.wire import probe_from_dict

ASSIGNMENTS = "/api/v1/agent/assignments"
RESULTS = "/api/v1/agent/results"


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


def make_agent(actor, name):
    location, token = locations.do_create_location(actor, name, region="eu-west")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return location, client


@pytest.fixture
def paris(actor):
    return make_agent(actor, "paris")


@pytest.fixture
def tokyo(actor):
    return make_agent(actor, "tokyo")


def make_monitor(actor, name="Shop", **values):
    values.setdefault("target", "https://shop.example.com/health")
    return services.do_create_monitor(actor, name=name, **values)


def result(monitor, checked_at, state="up", **extra):
    return {"monitor": monitor.pk, "checked_at": checked_at.isoformat(), "state": state, "latency_ms": 12.5, **extra}


def test_a_location_token_is_shown_once_and_only_its_hash_is_stored(actor):
    location, token = locations.do_create_location(actor, "paris")
    assert token.startswith("vga_") and len(token) > 40
    assert token not in location.token_hash and location.token_hash == Location.hash_token(token)
    assert AuditEntry.objects.filter(action="location.create", target_id=str(location.pk)).exists()


def test_without_a_token_or_with_a_person_s_api_key_the_agent_api_answers_401(api_clients, db):
    assert APIClient().get(ASSIGNMENTS).status_code == 401
    response = api_clients["admin"].get(ASSIGNMENTS)
    assert response.status_code == 401
    assert "agent token" in response.content.decode()


def test_a_revoked_token_gets_401_saying_it_was_revoked(actor, paris):
    location, client = paris
    assert client.get(ASSIGNMENTS).status_code == 200
    locations.do_revoke_location(actor, location)
    response = client.get(ASSIGNMENTS)
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["detail"]


def test_an_agent_is_assigned_monitors_for_every_location_and_those_naming_it_not_others(actor, paris, tokyo):
    everywhere = make_monitor(actor, "Everywhere")
    only_paris = make_monitor(actor, "Paris only", kind="tcp", target="db.internal", port=5432)
    only_tokyo = make_monitor(actor, "Tokyo only")
    make_monitor(actor, "Heartbeat", kind="heartbeat", target="")
    locations.do_set_locations(actor, only_paris, [paris[0]])
    locations.do_set_locations(actor, only_tokyo, [tokyo[0]])
    monitors = paris[1].get(ASSIGNMENTS).json()["monitors"]
    assert [m["id"] for m in monitors] == [everywhere.pk, only_paris.pk]
    probe = probe_from_dict(monitors[1]["probe"])
    assert (probe.host, probe.port) == ("db.internal", 5432)
    assert monitors[0]["probe"]["url"] == "https://shop.example.com/health"


def test_an_unchanged_assignment_costs_a_304_and_a_change_gives_a_new_etag(actor, paris):
    monitor = make_monitor(actor)
    client = paris[1]
    first = client.get(ASSIGNMENTS)
    etag = first["ETag"]
    again = client.get(ASSIGNMENTS, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    services.do_update_monitor(actor, monitor, interval_seconds=120)
    changed = client.get(ASSIGNMENTS, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["monitors"][0]["interval_seconds"] == 120
    paris[0].refresh_from_db()
    assert paris[0].last_seen_at is not None  # polling is a sign of life


def test_a_result_from_a_clock_far_ahead_is_refused_with_a_hint(actor, paris):
    monitor = make_monitor(actor)
    late = timezone.now() + timedelta(hours=1)
    response = paris[1].post(RESULTS, {"results": [result(monitor, late)]}, format="json")
    assert response.status_code == 400 and "agent's clock" in response.json()["errors"][0]["detail"]


def test_a_batch_is_stored_with_its_original_times_and_the_agent_s_location(actor, paris):
    location, client = paris
    monitor = make_monitor(actor)
    earlier = timezone.now().replace(microsecond=0) - timedelta(minutes=30)
    batch = [result(monitor, earlier), result(monitor, earlier + timedelta(seconds=60), "down", reason="HTTP 503")]
    response = client.post(RESULTS, {"version": "0.1.0", "results": batch}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 2, "refused": []}
    stored = list(CheckResult.objects.filter(monitor=monitor).order_by("checked_at"))
    assert [(r.checked_at, r.outcome, r.location_id) for r in stored] == [
        (earlier, CheckResult.Outcome.UP, location.pk),
        (earlier + timedelta(seconds=60), CheckResult.Outcome.DOWN, location.pk),
    ]
    location.refresh_from_db()
    assert location.version == "0.1.0" and location.last_seen_at > earlier


def test_a_result_for_another_agent_s_monitor_is_refused_and_the_rest_of_the_batch_stored(actor, paris, tokyo):
    mine = make_monitor(actor, "Mine")
    theirs = make_monitor(actor, "Theirs")
    locations.do_set_locations(actor, theirs, [tokyo[0]])
    now = timezone.now()
    response = paris[1].post(RESULTS, {"results": [result(theirs, now), result(mine, now)]}, format="json")
    assert response.json() == {
        "accepted": 1,
        "refused": [{"index": 0, "monitor": theirs.pk, "error": "this monitor is not assigned to this location"}],
    }
    assert not CheckResult.objects.filter(monitor=theirs).exists()
    assert CheckResult.objects.filter(monitor=mine).count() == 1


def test_a_resent_batch_does_not_double_the_results(actor, paris):
    monitor = make_monitor(actor)
    batch = {"results": [result(monitor, timezone.now() - timedelta(seconds=5))]}
    paris[1].post(RESULTS, batch, format="json")
    paris[1].post(RESULTS, batch, format="json")
    assert CheckResult.objects.filter(monitor=monitor).count() == 1


def test_a_malformed_result_fails_the_batch_with_the_field_named(actor, paris):
    monitor = make_monitor(actor)
    response = paris[1].post(RESULTS, {"results": [result(monitor, timezone.now(), "sideways")]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "results.0.state"
    assert not CheckResult.objects.exists()


def test_results_from_a_monitor_s_only_location_move_its_state(actor, paris):
    monitor = make_monitor(actor, failure_threshold=2)
    locations.do_set_locations(actor, monitor, [paris[0]])
    start = timezone.now() - timedelta(minutes=2)
    batch = [result(monitor, start + timedelta(seconds=s), "down", reason="HTTP 503") for s in (0, 30)]
    paris[1].post(RESULTS, {"results": batch}, format="json")
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN
    assert set(monitor.results.values_list("location_id", flat=True)) == {paris[0].pk}


def test_one_of_two_locations_seeing_it_down_makes_the_monitor_degraded_not_down(actor, paris):
    from monitoring.recording import Observation, record_observations

    monitor = make_monitor(actor, failure_threshold=1)  # no locations: central and every agent
    now = timezone.now()
    record_observations([Observation(monitor.pk, "up", now - timedelta(seconds=20))])
    paris[1].post(RESULTS, {"results": [result(monitor, now, "down", reason="HTTP 503")]}, format="json")
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DEGRADED
    assert monitor.state_reason.startswith("failing from paris (1 of 2 locations, 2 needed): HTTP 503")
    assert monitor.results.get(location=paris[0]).outcome == CheckResult.Outcome.DOWN


def test_the_central_dispatcher_leaves_out_monitors_that_run_on_agents_only(actor, paris):
    from monitoring.dispatch import claim_due

    central = make_monitor(actor, "Central")
    agent_only = make_monitor(actor, "Agent only")
    both = make_monitor(actor, "Both")
    locations.do_set_locations(actor, agent_only, [paris[0]])
    locations.do_set_locations(actor, both, [paris[0], locations.central_location()])
    claimed = {pk for pk, _, _ in claim_due(timezone.now() + timedelta(minutes=5), limit=10)}
    assert claimed == {central.pk, both.pk}


def test_a_monitor_may_run_from_several_agents_without_central(actor, paris, tokyo):
    monitor = make_monitor(actor)
    locations.do_set_locations(actor, monitor, [paris[0], tokyo[0]])
    assert set(monitor.locations.values_list("name", flat=True)) == {"paris", "tokyo"}
    assert monitor.pk in {item["id"] for item in tokyo[1].get(ASSIGNMENTS).json()["monitors"]}


def test_the_agent_protocol_stays_out_of_the_public_api_document(api_clients):
    document = api_clients["admin"].get("/api/schema/")
    assert document.status_code == 200
    assert b"/api/v1/monitors/" in document.content and b"/api/v1/agent/" not in document.content


def test_an_agent_s_passing_check_does_not_move_when_a_central_outage_was_first_seen(actor, paris):
    from django.test import TestCase

    from monitoring.receivers import first_failing_check
    from monitoring.recording import Observation, record_observations

    monitor = make_monitor(actor, failure_threshold=3)  # run centrally, and by paris too
    start = timezone.now() - timedelta(minutes=10)
    for minute in (0, 1, 2):
        at = start + timedelta(minutes=minute)
        with TestCase.captureOnCommitCallbacks(execute=True):
            record_observations([Observation(monitor.pk, "down", at, reason="HTTP 503")], now=at)
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN and monitor.incident is not None
    # paris saw it answer between the central failures: stored, but not part of the confirmed run.
    paris[1].post(RESULTS, {"results": [result(monitor, start + timedelta(seconds=90))]}, format="json")
    assert monitor.results.filter(location=paris[0]).count() == 1
    assert first_failing_check(monitor.incident) == (start, "Shop")


def test_a_centrally_run_monitor_s_figures_read_its_central_checks_and_an_agent_only_one_s_its_agent_s(actor, paris):
    from monitoring import rollups
    from monitoring.models import Rollup

    central = make_monitor(actor, "Central")
    agent_only = make_monitor(actor, "Agent only")
    locations.do_set_locations(actor, agent_only, [paris[0]])
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    CheckResult.objects.create(monitor=central, checked_at=hour, outcome=CheckResult.Outcome.UP, latency_ms=20)
    batch = [result(central, hour + timedelta(minutes=1), "down"), result(agent_only, hour, "down")]
    paris[1].post(RESULTS, {"results": batch}, format="json")
    assert CheckResult.objects.filter(location=paris[0]).count() == 2

    sparklines = services.latest_results([central.pk, agent_only.pk], per_monitor=30)
    assert [check.outcome for check in sparklines[central.pk]] == [CheckResult.Outcome.UP]
    assert [check.outcome for check in sparklines[agent_only.pk]] == [CheckResult.Outcome.DOWN]
    buckets = services.response_times(central, hour, hour + timedelta(hours=1), slices=1)
    assert (buckets[0].checks, buckets[0].failures) == (1, 0)
    rollups.roll_hour(hour, timezone.now())
    hourly = {r.monitor_id: (r.checks, r.failures) for r in Rollup.objects.filter(period=Rollup.Period.HOUR)}
    assert hourly[central.pk] == (1, 0) and hourly[agent_only.pk] == (1, 1)


def test_a_result_from_a_clock_far_ahead_or_a_body_that_is_no_json_is_refused_by_name(actor, paris):
    monitor = make_monitor(actor)
    ahead = [result(monitor, timezone.now()), result(monitor, timezone.now() + timedelta(minutes=30))]
    response = paris[1].post(RESULTS, {"results": ahead}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "results.1.checked_at"
    assert "check the agent's clock" in response.json()["errors"][0]["detail"]
    garbled = paris[1].post(RESULTS, b"{results: [", content_type="application/json")
    assert garbled.status_code == 400 and garbled.json()["errors"]
    too_many = paris[1].post(RESULTS, {"results": [result(monitor, timezone.now())] * 1001}, format="json")
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["attr"] == "results"
    assert not CheckResult.objects.exists()


def test_an_unchanged_assignment_is_served_from_the_cache_and_every_change_shows(actor, paris, tokyo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shop = make_monitor(actor)
    make_monitor(actor, "Api", target="https://api.example.com/")
    etag = paris[1].get(ASSIGNMENTS)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        assert paris[1].get(ASSIGNMENTS, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(queries) <= 3  # the token, the visit (at most every 15 s), the version: no monitor read

    def ids(client):
        return sorted(item["id"] for item in client.get(ASSIGNMENTS).json()["monitors"])

    services.do_pause(actor, shop)
    assert shop.pk not in ids(paris[1])
    services.do_resume(actor, shop)
    locations.do_set_locations(actor, shop, [tokyo[0]])
    assert shop.pk not in ids(paris[1]) and shop.pk in ids(tokyo[1])
    services.do_delete(actor, shop)
    assert shop.pk not in ids(tokyo[1])
