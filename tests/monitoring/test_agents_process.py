"""A real vigil-agent process against a live Vigil on loopback (issue #21): it pulls its monitors,
probes a local target with the engine and its results arrive; it keeps them on disk while Vigil
cannot be reached; a revoked token stops it with a clear message."""

import json
from urllib.parse import urlsplit

import pytest

from monitoring import locations, services
from monitoring.models import CheckResult, Monitor
from vigil.audit import Actor

from .agent_process import Forwarder, build_agent, start_agent, stop, wait_for
from .servers import closed_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def agent_lib(tmp_path_factory):
    return build_agent(tmp_path_factory.mktemp("agent-build"))


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def paris(actor):
    return locations.do_create_location(actor, "paris", region="eu-west")


@pytest.fixture
def shop(actor, servers, paris):
    """An HTTP monitor on a local target, run by the paris agent only (so its results drive the state)."""
    monitor = services.do_create_monitor(actor, name="Shop", target=servers.url("/ok"), keyword="OK")
    locations.do_set_locations(actor, monitor, [paris[0]])
    return monitor


def agent_results(monitor):
    return list(CheckResult.objects.filter(monitor=monitor, location__isnull=False).order_by("id"))


def test_an_agent_process_probes_its_monitor_and_the_results_arrive(agent_lib, tmp_path, live_server, paris, shop):
    location, token = paris
    agent = start_agent(agent_lib, tmp_path, live_server.url, token)
    try:
        results = wait_for(lambda: agent_results(shop), what="the agent's first result")
    finally:
        log = stop(agent)
    assert results[0].location_id == location.pk and results[0].outcome == CheckResult.Outcome.UP, log
    shop.refresh_from_db()
    location.refresh_from_db()
    assert shop.state == Monitor.State.UP
    assert location.version == "0.1.0" and location.last_seen_at is not None
    assert agent.returncode == 0, log


def test_results_taken_while_vigil_is_down_arrive_later_with_their_times_and_in_order(
    agent_lib, tmp_path, live_server, actor, paris, shop
):
    token = paris[1]
    # Every 2 s, below what a form allows (10 s), so two checks taken offline cost seconds, not 20.
    Monitor.objects.filter(pk=shop.pk).update(interval_seconds=2)
    vigil = Forwarder(closed_port(), urlsplit(live_server.url).port)
    vigil.open()
    agent = start_agent(agent_lib, tmp_path, f"http://127.0.0.1:{vigil.port}", token)
    buffer = tmp_path / "state" / "results.jsonl"
    try:
        wait_for(lambda: agent_results(shop), what="a first result, before the outage")
        vigil.close()
        before = [result.checked_at.isoformat() for result in agent_results(shop)]

        def buffered():
            # It may hold the first result too, when the outage cut Vigil's answer: that one is sent again.
            lines = buffer.read_text().splitlines() if buffer.exists() else []
            return [json.loads(line)["checked_at"] for line in lines]

        wait_for(lambda: len(set(buffered()) - set(before)) >= 2, timeout=40, what="two results taken offline")
        taken_offline = buffered()
        assert [result.checked_at.isoformat() for result in agent_results(shop)] == before
        vigil.open()
        wait_for(lambda: buffer.read_text() == "", what="the buffer sent")
    finally:
        log = stop(agent)
        vigil.stop()
    stored = [result.checked_at.isoformat() for result in agent_results(shop)]
    # Every result once, at the time it was taken, stored in the order taken.
    assert stored == sorted(set(before + taken_offline)), log
    assert len(stored) >= 3
    assert "buffering results" in log and "Vigil is back" in log


def test_an_agent_restarted_while_vigil_is_down_probes_with_the_assignment_it_kept(
    agent_lib, tmp_path, live_server, paris, shop
):
    token = paris[1]
    first = start_agent(agent_lib, tmp_path, live_server.url, token)
    try:
        wait_for(lambda: agent_results(shop), what="a first result")
    finally:
        stop(first)
    again = start_agent(agent_lib, tmp_path, f"http://127.0.0.1:{closed_port()}", token)
    buffer = tmp_path / "state" / "results.jsonl"
    try:
        wait_for(lambda: buffer.exists() and buffer.read_text(), what="a result taken offline")
    finally:
        log = stop(again)
    assert json.loads(buffer.read_text().splitlines()[0])["monitor"] == shop.pk
    assert "starting with the saved assignment: 1 monitors" in log


def test_a_revoked_agent_says_so_and_exits_non_zero(agent_lib, tmp_path, live_server, actor, paris):
    location, token = paris
    locations.do_revoke_location(actor, location)
    agent = start_agent(agent_lib, tmp_path, live_server.url, token)
    try:
        agent.wait(timeout=20)
    finally:
        log = stop(agent)
    assert agent.returncode == 3
    assert "refused this agent's token" in log and "revoked" in log
