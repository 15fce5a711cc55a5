"""Confirmation across locations (issue #21, monitoring.confirmation): a monitor checked from
several places is down when K of them see it down within the window, degraded when fewer do; a
silent location is not counted; late results are judged as of when they were taken."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from incidents.models import Incident
from monitoring import confirmation, locations, services
from monitoring.models import CheckResult, Monitor
from monitoring.recording import Observation, record_observations
from vigil.audit import Actor

State = Monitor.State


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def agents(actor):
    """Three agent locations besides the central install."""
    return {name: locations.do_create_location(actor, name, region=name)[0] for name in ("paris", "tokyo", "ohio")}


def make_monitor(actor, **values):
    values.setdefault("target", "https://shop.example.com/health")
    values.setdefault("failure_threshold", 1)
    values.setdefault("recovery_threshold", 1)
    return services.do_create_monitor(actor, name=values.pop("name", "Shop"), **values)


def see(monitor, location, state, at, reason="HTTP 503"):
    """LOCATION's check of MONITOR (None: the central install), recorded as its front door does."""
    observation = Observation(
        monitor.pk,
        state,
        at,
        latency_ms=40.0,
        reason=reason if state != "up" else "",
        location_id=location and location.pk,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        record_observations([observation], now=at)
    monitor.refresh_from_db()
    return monitor


def test_two_of_three_agents_seeing_it_down_make_it_down_and_one_makes_it_degraded(actor, agents):
    monitor = make_monitor(actor)
    locations.do_set_locations(actor, monitor, list(agents.values()))
    now = timezone.now()
    for name in agents:
        see(monitor, agents[name], "up", now - timedelta(seconds=30))
    see(monitor, agents["paris"], "down", now - timedelta(seconds=20))
    assert monitor.state == State.DEGRADED
    assert monitor.state_reason == "failing from paris (1 of 3 locations, 2 needed): HTTP 503"
    assert not Incident.objects.exists()
    see(monitor, agents["tokyo"], "down", now - timedelta(seconds=10))
    assert monitor.state == State.DOWN
    assert monitor.state_reason == "down from paris, tokyo (2 of 3 locations): HTTP 503"
    assert Incident.objects.get().dedup_key == f"monitor:{monitor.pk}"
    see(monitor, agents["ohio"], "down", now)
    assert Incident.objects.count() == 1  # a third location joins the outage, not a second incident


def test_a_rule_of_three_of_four_needs_three(actor, agents):
    monitor = make_monitor(actor, confirm_locations=3)  # no locations chosen: central and the three agents
    now = timezone.now()
    see(monitor, None, "up", now - timedelta(seconds=40))
    see(monitor, agents["ohio"], "up", now - timedelta(seconds=40))
    see(monitor, agents["paris"], "down", now - timedelta(seconds=30))
    see(monitor, agents["tokyo"], "down", now - timedelta(seconds=20))
    assert monitor.state == State.DEGRADED and "(2 of 4 locations, 3 needed)" in monitor.state_reason
    see(monitor, None, "down", now - timedelta(seconds=10))
    assert monitor.state == State.DOWN and monitor.state_reason.startswith("down from central, paris, tokyo (3 of 4")


def test_recovery_follows_the_verdict_and_resolves_the_incident(actor, agents):
    monitor = make_monitor(actor)
    locations.do_set_locations(actor, monitor, [agents["paris"], agents["tokyo"]])
    now = timezone.now()
    see(monitor, agents["paris"], "down", now - timedelta(seconds=30))
    see(monitor, agents["tokyo"], "down", now - timedelta(seconds=25))
    assert monitor.state == State.DOWN
    see(monitor, agents["paris"], "up", now - timedelta(seconds=10))
    assert monitor.state == State.DEGRADED and monitor.state_reason.startswith("failing from tokyo")
    assert Incident.objects.get().status == "resolved"
    see(monitor, agents["tokyo"], "up", now)
    assert monitor.state == State.UP and monitor.state_reason == ""


def test_a_silent_location_is_not_counted_so_the_others_still_decide(actor, agents):
    monitor = make_monitor(actor, interval_seconds=30, timeout_seconds=5)  # window: 65 s
    locations.do_set_locations(actor, monitor, [agents["paris"], agents["tokyo"]])
    now = timezone.now()
    see(monitor, agents["tokyo"], "up", now - timedelta(minutes=10))  # tokyo went quiet after this
    see(monitor, agents["paris"], "down", now)
    assert monitor.state == State.DOWN
    assert monitor.state_reason.startswith("down from paris (1 of 1 locations)")


def test_the_window_is_the_monitor_s_when_it_sets_one(actor, agents):
    monitor = make_monitor(actor, confirm_window_seconds=900)
    locations.do_set_locations(actor, monitor, [agents["paris"], agents["tokyo"]])
    now = timezone.now()
    see(monitor, agents["tokyo"], "up", now - timedelta(minutes=10))  # within 15 minutes: still counted
    see(monitor, agents["paris"], "down", now)
    assert monitor.state == State.DEGRADED


def test_results_sent_late_are_judged_as_of_when_they_were_taken(actor, agents):
    monitor = make_monitor(actor)
    locations.do_set_locations(actor, monitor, [agents["paris"], agents["tokyo"]])
    now = timezone.now()
    see(monitor, agents["tokyo"], "up", now - timedelta(seconds=5))
    # paris was cut off for ten minutes; its buffer arrives now, down all along. As of each of those
    # checks tokyo had said nothing for minutes, so paris alone decided then; the last one, taken
    # after tokyo's pass, is outvoted.
    late = [now - timedelta(minutes=10), now - timedelta(minutes=9), now - timedelta(seconds=1)]
    observations = [
        Observation(monitor.pk, "down", at, reason="HTTP 503", location_id=agents["paris"].pk) for at in late
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        transitions = record_observations(observations, now=now)
    monitor.refresh_from_db()
    assert [t.to_state for t in transitions] == [State.DOWN, State.DEGRADED]
    assert transitions[0].at == late[0]
    assert monitor.state == State.DEGRADED


def test_without_agents_nothing_changes_and_it_costs_one_query(actor, django_assert_num_queries):
    monitor = make_monitor(actor)
    with django_assert_num_queries(1):
        assert confirmation.panels([monitor], timezone.now()) == {}
    see(monitor, None, "down", timezone.now())
    assert monitor.state == State.DOWN and monitor.state_reason == "HTTP 503"


def test_a_monitor_checked_from_one_agent_only_moves_on_its_outcomes_as_they_are(actor, agents):
    monitor = make_monitor(actor, failure_threshold=2)
    locations.do_set_locations(actor, monitor, [agents["ohio"]])
    assert confirmation.panels([monitor], timezone.now()) == {}
    now = timezone.now()
    see(monitor, agents["ohio"], "down", now - timedelta(seconds=10))
    assert monitor.state == State.PENDING  # one failure of two
    see(monitor, agents["ohio"], "down", now)
    assert monitor.state == State.DOWN and monitor.state_reason == "HTTP 503"


def test_heartbeats_are_never_judged_across_locations(actor, agents):
    heartbeat = services.do_create_monitor(actor, name="Backup", kind=Monitor.Kind.HEARTBEAT, period_seconds=3600)
    assert confirmation.panels([heartbeat], timezone.now()) == {}


def test_a_revoked_location_no_longer_counts(actor, agents):
    monitor = make_monitor(actor)
    locations.do_set_locations(actor, monitor, [agents["paris"], agents["tokyo"]])
    now = timezone.now()
    see(monitor, agents["tokyo"], "up", now - timedelta(seconds=10))
    locations.do_revoke_location(actor, agents["tokyo"])
    see(monitor, agents["paris"], "down", now)
    assert monitor.state == State.DOWN


def test_each_location_s_view_with_its_figures_for_the_page_and_the_api(actor, agents, api_clients):
    monitor = make_monitor(actor)
    locations.do_set_locations(actor, monitor, [locations.central_location(), agents["paris"]])
    now = timezone.now()
    see(monitor, None, "up", now - timedelta(seconds=50))
    see(monitor, None, "up", now - timedelta(seconds=20))
    see(monitor, agents["paris"], "up", now - timedelta(seconds=40))
    see(monitor, agents["paris"], "down", now - timedelta(seconds=10), reason="connection refused")
    rows = {row["location"]: row for row in confirmation.per_location(monitor, timezone.now())}
    assert rows["central"]["state"] == "up" and rows["central"]["uptime_24h"] == 100.0
    assert rows["paris"]["state"] == "down" and rows["paris"]["reason"] == "connection refused"
    assert rows["paris"]["uptime_24h"] == 50.0 and rows["paris"]["checks_24h"] == 2
    assert rows["paris"]["avg_latency_ms_24h"] == 40.0 and rows["paris"]["counted"]

    response = api_clients["viewer"].get(f"/api/v1/monitors/{monitor.pk}/locations/")
    assert response.status_code == 200
    assert {row["location"]: row["state"] for row in response.json()} == {"central": "up", "paris": "down"}
    detail = api_clients["viewer"].get(f"/api/v1/monitors/{monitor.pk}/").json()
    assert sorted(detail["locations"]) == ["central", "paris"]
    results = api_clients["viewer"].get(f"/api/v1/monitors/{monitor.pk}/results/").json()["results"]
    assert results[0]["location"] == "paris" and results[-1]["location"] == "central"


def test_the_monitor_page_shows_each_location_and_the_rule(actor, agents, client, responder):
    monitor = make_monitor(actor, confirm_locations=2)
    now = timezone.now()
    see(monitor, agents["tokyo"], "down", now, reason="timed out after 10 s")
    client.force_login(responder)
    page = client.get(f"/monitors/{monitor.pk}/").content.decode()
    assert 'data-testid="locations"' in page
    assert "Down when 2 of its locations see it down" in page
    assert "timed out after 10 s" in page and "tokyo" in page and "never" in page  # ohio never checked


def test_locations_are_set_through_the_api_by_name(actor, agents, api_clients):
    monitor = make_monitor(actor)
    locations.central_location()  # made by a migration; a test that empties the tables (in the same process) drops it
    response = api_clients["admin"].patch(
        f"/api/v1/monitors/{monitor.pk}/", {"locations": ["paris", "central"], "confirm_locations": 2}, format="json"
    )
    assert response.status_code == 200, response.content
    assert sorted(monitor.locations.values_list("name", flat=True)) == ["central", "paris"]
    bad = api_clients["admin"].patch(f"/api/v1/monitors/{monitor.pk}/", {"locations": ["mars"]}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "locations"
    assert sorted(monitor.locations.values_list("name", flat=True)) == ["central", "paris"]


def test_the_form_asks_where_from_only_once_there_are_agents(actor, client, admin_user):
    client.force_login(admin_user)
    assert "Where it is checked from" not in client.get("/monitors/new/http/").content.decode()
    locations.do_create_location(actor, "paris")
    page = client.get("/monitors/new/http/").content.decode()
    assert "Where it is checked from" in page and "paris" in page


def test_an_agent_s_result_never_moves_the_central_schedule(actor, agents):
    monitor = make_monitor(actor)
    before = Monitor.objects.get(pk=monitor.pk).next_check_at
    see(monitor, agents["paris"], "up", timezone.now())
    assert monitor.next_check_at == before
    assert CheckResult.objects.get(monitor=monitor).location == agents["paris"]


def test_maintenance_and_dependencies_work_on_the_confirmed_state(actor, agents):
    parent = make_monitor(actor, name="Database", target="https://db.example.com/")
    child = make_monitor(actor, name="Api", target="https://api.example.com/")
    services.do_update_monitor(actor, child, parents=[parent])
    both = [agents["paris"], agents["tokyo"]]
    for monitor in (parent, child):
        locations.do_set_locations(actor, monitor, both)
    now = timezone.now()
    for monitor in (parent, child):
        see(monitor, agents["paris"], "down", now - timedelta(seconds=20))
        see(monitor, agents["tokyo"], "down", now - timedelta(seconds=10))
    assert parent.state == State.DOWN and child.state == State.DOWN
    assert Incident.objects.count() == 1  # the child joined its parent's incident

    quiet = make_monitor(actor, name="Cache", target="https://cache.example.com/")
    locations.do_set_locations(actor, quiet, both)
    services.do_add_maintenance(
        actor, monitor=quiet, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    see(quiet, agents["paris"], "down", now - timedelta(seconds=5))
    see(quiet, agents["tokyo"], "down", now)
    assert quiet.state == State.MAINTENANCE and Incident.objects.count() == 1
