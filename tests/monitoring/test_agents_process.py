"""A real vigil-agent process against a live Vigil on loopback (issue #21): it pulls its monitors,
probes a local target with the engine and its results arrive; it keeps them on disk while Vigil
cannot be reached; a revoked token stops it with a clear message."""

import json
from urllib.parse import urlsplit

import pytest
from django.test import TestCase

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


class Regional:
    """A local target that fails for the agents named in FAILING: it tells them apart by the
    X-Vigil-Location header every agent's HTTP check carries (monitoring.locations)."""

    def __init__(self):
        import http.server
        import threading

        failing = self.failing = set()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                where = self.headers.get("X-Vigil-Location", "")
                code = 503 if where in failing or "*" in failing else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_two_agents_confirm_an_outage_together_and_a_killed_one_alerts_on_its_own(
    agent_lib, tmp_path, live_server, actor, paris, settings
):
    import signal

    from incidents.models import Incident
    from monitoring import agent_health

    settings.VIGIL_AGENT_SILENT_AFTER_SECONDS = 3
    tokyo = locations.do_create_location(actor, "tokyo", region="ap-northeast")
    target = Regional()
    monitor = services.do_create_monitor(
        actor, name="Checkout", target=target.url, failure_threshold=1, recovery_threshold=1, timeout_seconds=2
    )
    locations.do_set_locations(actor, monitor, [paris[0], tokyo[0]])
    Monitor.objects.filter(pk=monitor.pk).update(interval_seconds=1)  # below the form's 10 s, to keep it short

    def state():
        return Monitor.objects.values_list("state", "state_reason").get(pk=monitor.pk)

    for name in ("paris", "tokyo"):
        (tmp_path / name).mkdir()
    agents = [
        start_agent(agent_lib, tmp_path / name, live_server.url, token)
        for name, token in (("paris", paris[1]), ("tokyo", tokyo[1]))
    ]
    logs = ""
    try:
        wait_for(lambda: state()[0] == Monitor.State.UP, what="both agents seeing it up")
        target.failing.add("paris")
        wait_for(lambda: state()[0] == Monitor.State.DEGRADED, what="degraded from paris")
        assert state()[1].startswith("failing from paris (1 of 2 locations, 2 needed): HTTP 503")
        assert not Incident.objects.exists()

        target.failing.add("*")
        wait_for(lambda: state()[0] == Monitor.State.DOWN, what="down from both")
        assert state()[1].startswith("down from paris, tokyo (2 of 2 locations)")
        target.failing.clear()
        wait_for(lambda: state()[0] == Monitor.State.UP, what="up again")
        outage = wait_for(lambda: Incident.objects.filter(status="resolved").first(), what="the outage resolved")
        assert outage.dedup_key == f"monitor:{monitor.pk}" and Incident.objects.count() == 1

        agents[1].send_signal(signal.SIGKILL)  # tokyo dies mid-run, without a word
        agents[1].wait(timeout=10)

        def tokyo_silent():
            with TestCase.captureOnCommitCallbacks(execute=True):
                agent_health.watch()
            return Incident.objects.filter(dedup_key=f"agent:{tokyo[0].pk}").first()

        silence = wait_for(tokyo_silent, what="tokyo's silence noticed")
        assert silence.title == "Probe agent tokyo is silent" and silence.severity == "sev4"
        time_after = CheckResult.objects.filter(monitor=monitor).count()
        wait_for(lambda: CheckResult.objects.filter(monitor=monitor).count() > time_after + 3, what="paris going on")
        assert state()[0] == Monitor.State.UP  # tokyo's silence marks nothing down
        assert Incident.objects.count() == 2
    finally:
        for agent in agents:
            logs += stop(agent)
        target.stop()
    assert CheckResult.objects.filter(monitor=monitor, location=tokyo[0]).exists(), logs


def test_an_agent_pushes_a_changed_outcome_at_once_not_at_its_next_push_period(
    agent_lib, tmp_path, live_server, actor, paris, shop
):
    target = Regional()
    Monitor.objects.filter(pk=shop.pk).update(target=target.url, keyword="", interval_seconds=1)
    target.failing.add("paris")
    agent = start_agent(agent_lib, tmp_path, live_server.url, paris[1], VIGIL_AGENT_PUSH_SECONDS="60")
    try:
        first = wait_for(lambda: agent_results(shop), what="the failure, pushed at once")
    finally:
        log = stop(agent)
        target.stop()
    assert first[0].outcome == CheckResult.Outcome.DOWN, log
