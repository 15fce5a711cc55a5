"""Scripted browser checks (kind "browser"): declared steps run in Chromium against a shop on loopback,
each run stored with its steps' times (and, failing, the step, a screenshot and console errors), shown on
the monitor's page, refused on save when the steps are not the vocabulary, routed apart and purged.

Chromium starts twice in this module (about 3 s each here): once for a passing run, once for a failing one.
"""

import base64
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config_code.apply import apply_loaded
from config_code.export import as_yaml, export
from config_code.loader import load
from config_code.plan import make_plan
from monitoring import batches, dispatch, locations, rollups, services, tasks
from monitoring.models import BrowserRun, CheckResult, Monitor
from monitoring.recording import Observation, record_observations
from tests.conftest import need
from vigil.audit import Actor
from vigil_probes import BrowserProbe, ProbeResult, State, browser, run_probes_sync
from vigil_probes.wire import probe_from_dict, probe_to_dict

from .shop import LOGIN_STEPS, PASSWORD, Shop

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


@pytest.fixture(autouse=True)
def chromium_reaches_loopback_only(monkeypatch):
    """Chromium's own background calls (update checks, accounts) go through the engine's guard
    proxy, whose rule allows public hosts, as it must for real checks. Here nothing may leave the
    machine, not even a DNS lookup: the guard resolves no name but localhost and connects only to
    loopback; an address literal is still judged by the rule first (the redirect test expects its words)."""
    import ipaddress

    from vigil_probes import browser_guard
    from vigil_probes.result import ProbeFailure

    resolve = browser_guard.safety.resolve

    async def loopback_only(host, port, policy):
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is None and host != "localhost":
            raise ProbeFailure(f"tests: no lookup of {host} (only loopback)")
        addresses = await resolve(host, port, policy)
        if not all(ipaddress.ip_address(address).is_loopback for address in addresses):
            raise ProbeFailure(f"tests: no connection to {host} (only loopback)")
        return addresses

    monkeypatch.setattr(browser_guard.safety, "resolve", loopback_only)


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, via="web")


@pytest.fixture(scope="module")
def shop():
    started = Shop().start()
    yield started
    started.stop()


@pytest.fixture
def chromium(settings):
    missing = browser.chromium_missing()
    need("Chromium", not missing, missing)
    settings.VIGIL_BROWSER_SECRETS = {"SHOP_PASSWORD": PASSWORD}


def run_now(*monitors: Monitor) -> None:
    """Check MONITORS as the browser worker does (monitoring.tasks.run_browser_checks), now."""
    now = time.time()
    batches.run_batch({"dispatched_at": now, "browser": True, "items": [[m.pk, now] for m in monitors]})


def browser_monitor(actor, name: str, target: str, steps=(), **values) -> Monitor:
    return services.do_create_monitor(
        actor, name=name, kind=Monitor.Kind.BROWSER, target=target, steps=list(steps), timeout_seconds=10, **values
    )


def test_a_login_passes_then_fails_when_the_site_breaks_with_the_step_a_screenshot_and_console_errors(
    actor, shop, chromium, client, admin_user, viewer
):
    login = browser_monitor(actor, "Shop login", shop.url, LOGIN_STEPS)
    forbidden = browser_monitor(actor, "Redirected away", shop.url + "away")
    slow = browser_monitor(actor, "Shop home, in 1 ms", shop.url, [{"wait_for_text": "Log in"}], degraded_after_ms=1)
    run_now(login, forbidden, slow)

    passed = BrowserRun.objects.get(monitor=login)
    names = [step["name"] for step in passed.steps]
    expected = ["open", "fill #user", "fill #password", "log in", "see the welcome", "expect_status 200"]
    assert names == expected, passed.reason
    assert passed.ok and passed.failed_step == "" and passed.screenshot is None
    assert all(step["ms"] >= 0 for step in passed.steps)
    assert CheckResult.objects.get(monitor=login).outcome == CheckResult.Outcome.UP
    degraded = CheckResult.objects.get(monitor=slow)
    assert degraded.outcome == CheckResult.Outcome.DEGRADED and degraded.reason.startswith("the steps took")
    assert BrowserRun.objects.get(monitor=slow).ok  # degraded is slow, not broken: no failing step
    refused = BrowserRun.objects.get(monitor=forbidden)
    assert (refused.ok, refused.failed_step) == (False, "open")
    # The probes' address rule holds in the browser too, redirects included (vigil_probes.browser_guard).
    assert refused.reason.startswith('step "open" failed: 192.0.2.10 is a documentation address')

    shop.broken = True
    try:
        run_now(login)
    finally:
        shop.broken = False
    failed = BrowserRun.objects.filter(monitor=login).first()
    assert (failed.ok, failed.failed_step) == (False, "see the welcome")
    assert failed.reason.startswith('step "see the welcome" failed: the page does not show "Welcome, ada"')
    assert bytes(failed.screenshot).startswith(b"\x89PNG\r\n\x1a\n")
    assert "checkout service unavailable" in failed.console_errors
    assert any("undefinedFunction" in text for text in failed.console_errors)
    assert CheckResult.objects.filter(monitor=login).first().outcome == CheckResult.Outcome.DOWN

    client.force_login(admin_user)
    page = client.get(login.get_absolute_url()).content.decode()
    shot_url = reverse("monitoring:screenshot", args=[login.pk, failed.pk])
    assert "see the welcome" in page and "checkout service unavailable" in page and shot_url in page
    shot = client.get(shot_url)
    assert shot["Content-Type"] == "image/png" and shot.content.startswith(b"\x89PNG")
    client.force_login(viewer)  # a viewer sees the steps' values masked, and no screenshot
    assert client.get(shot_url).status_code == 404
    assert shot_url not in client.get(login.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"click": "#login"}, "Must be a list of steps"),
        ([{"click": "#a", "fill": "#b", "value": "x"}], "Step 1 must have exactly one of goto, fill"),
        ([{"evaluate": "document.cookie"}], "Step 1 must have exactly one of"),
        ([{"click": "#a"}, {"fill": "#user"}], 'Step 2: fill needs a "value"'),
        ([{"goto": "javascript:alert(1)"}], "Step 1: goto needs an http(s) URL"),
        ([{"expect_status": "200"}], "Step 1: expect_status must be a status code"),
        ([{"click": "#a", "timeout": 5}], "Step 1: 'timeout' is not part of a click step"),
    ],
)
def test_steps_outside_the_vocabulary_are_refused_on_save_and_on_update(actor, steps, message):
    with pytest.raises(ValidationError) as refused:
        services.do_create_monitor(actor, name="Bad", kind="browser", target="https://shop.example/", steps=steps)
    assert any(text.startswith(message) for text in refused.value.message_dict["steps"]), refused.value
    monitor = browser_monitor(actor, "Good", "https://shop.example/", [{"click": "#a"}])
    with pytest.raises(ValidationError):
        services.do_update_monitor(actor, monitor, steps=steps)
    monitor.refresh_from_db()
    assert monitor.steps == [{"click": "#a"}]


def test_the_api_takes_and_shows_steps_and_masks_typed_values_from_viewers(api_clients):
    admin, viewer = api_clients["admin"], api_clients["viewer"]
    sent = {"name": "Shop", "kind": "browser", "target": "https://shop.example/", "steps": LOGIN_STEPS}
    created = admin.post("/api/v1/monitors/", sent, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["steps"] == LOGIN_STEPS
    bad = admin.post("/api/v1/monitors/", {**sent, "steps": [{"fill": "#user"}]}, format="json")
    assert bad.status_code == 400 and "steps" in {error["attr"] for error in bad.json()["errors"]}
    shown = viewer.get(f"/api/v1/monitors/{created.json()['id']}/").json()["steps"]
    assert shown[0] == {"fill": "#user", "value": "••••••"} and shown[2] == LOGIN_STEPS[2]


def test_the_form_refuses_steps_that_are_not_json_or_not_the_vocabulary(client, admin_user):
    client.force_login(admin_user)
    url = reverse("monitoring:create", args=["browser"])
    sent = {"name": "Shop", "target": "https://shop.example/", "interval_seconds": 60, "timeout_seconds": 10}
    sent |= {"retry_interval_seconds": 5, "failure_threshold": 2, "recovery_threshold": 2, "severity": "sev2"}
    page = client.post(url, {**sent, "steps": '[{"click": "#a", "wait_for_text": "x"}]'})
    assert page.status_code == 400 and "must have exactly one of" in page.content.decode()
    assert client.post(url, {**sent, "steps": "[{click: #a}]"}).status_code == 400
    saved = client.post(url, {**sent, "steps": '[{"click": "#a", "name": "go"}]'})
    assert saved.status_code == 302
    assert Monitor.objects.get(name="Shop").steps == [{"click": "#a", "name": "go"}]


def test_browser_checks_are_dispatched_to_their_own_queue_in_small_batches(db, settings):
    settings.VIGIL_BROWSER_CONCURRENCY = 2
    now = timezone.now()
    for i in range(3):
        Monitor.objects.create(name=f"b{i}", kind="browser", target="https://shop.example/", next_check_at=now)
    Monitor.objects.create(name="h", kind="http", target="https://example.com/", next_check_at=now)
    sent = []
    dispatch.dispatch(now, send=sent.append)
    assert sorted((bool(p.get("browser")), len(p["items"])) for p in sent) == [(False, 1), (True, 1), (True, 2)]
    routes = django_settings.CELERY_TASK_ROUTES
    assert routes["monitoring.tasks.run_browser_checks"]["queue"] == "browser"
    assert routes["monitoring.tasks.run_checks"]["queue"] != "browser"


def failing(monitor: Monitor, at) -> Observation:
    details = {"steps": [{"name": "open", "ms": 5.0}], "failed_step": "open", "console_errors": ["boom"]}
    details["screenshot_png"] = base64.b64encode(PNG).decode()
    return Observation(monitor.pk, "down", at, latency_ms=5.0, reason='step "open" failed', details=details)


def test_a_failing_monitor_keeps_the_screenshots_of_its_first_and_latest_failed_runs_only(actor):
    monitor = browser_monitor(actor, "Shop", "https://shop.example/")
    start = timezone.now()
    for minute in range(3):
        record_observations([failing(monitor, start + timedelta(minutes=minute))])
    runs = list(BrowserRun.objects.filter(monitor=monitor).order_by("checked_at"))
    assert [run.screenshot is not None for run in runs] == [True, False, True]
    assert bytes(runs[-1].screenshot) == PNG and runs[-1].console_errors == ["boom"]


def test_the_retention_purge_deletes_old_browser_runs_with_the_results(actor, settings):
    settings.VIGIL_RESULT_RETENTION_DAYS = 7
    monitor = browser_monitor(actor, "Shop", "https://shop.example/")
    now = timezone.now()
    record_observations([failing(monitor, now - timedelta(days=8)), failing(monitor, now - timedelta(days=1))])
    rollups.purge(now)
    assert [run.checked_at for run in BrowserRun.objects.all()] == [now - timedelta(days=1)]


def test_a_place_without_chromium_or_a_secret_says_so_and_steps_travel_to_agents_intact():
    probe = BrowserProbe("http://127.0.0.1:9/", LOGIN_STEPS, timeout=5)
    assert probe_from_dict(probe_to_dict(probe)) == probe
    assert probe_to_dict(probe)["steps"] == LOGIN_STEPS
    browser.use_secrets(dict)
    try:
        (result,) = run_probes_sync([probe])
    finally:
        browser.use_secrets(lambda: django_settings.VIGIL_BROWSER_SECRETS)
    assert (result.state, result.reason) == (State.DOWN, "secret SHOP_PASSWORD is not set on this worker")
    browser.use_chromium("/nonexistent/chromium")
    try:
        (result,) = run_probes_sync([BrowserProbe("http://127.0.0.1:9/")])
    finally:
        browser.use_chromium(django_settings.VIGIL_CHROMIUM_PATH)
    assert result.state == State.DOWN
    assert result.reason == "Chromium is not installed on this worker (no /nonexistent/chromium)"


def test_a_browser_monitor_as_code_round_trips_and_bad_steps_are_refused_in_the_plan(db):
    text = """monitors:
- key: shop-login
  name: Shop login
  kind: browser
  target: https://shop.example/
  steps:
  - {fill: "#user", value: ada}
  - {click: "button[type=submit]", name: log in}
"""
    apply_loaded(load([("shop.yaml", text)]))
    monitor = Monitor.objects.get(name="Shop login")
    assert monitor.steps == [{"fill": "#user", "value": "ada"}, {"click": "button[type=submit]", "name": "log in"}]
    exported = as_yaml(export())
    assert make_plan(load([("again.yaml", exported)])).changes == []
    bad = make_plan(load([("bad.yaml", text.replace('{fill: "#user", value: ada}', '{fill: "#user"}'))]))
    assert any('fill needs a "value"' in str(error) for error in bad.errors), bad.errors


def test_an_agent_reports_a_browser_check_s_steps_without_a_screenshot(actor):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "agent"))  # as test_agents_outbox does
    from vigil_agent.agent import as_json

    location, token = locations.do_create_location(actor, "paris")
    agent = APIClient()
    agent.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    shop = browser_monitor(actor, "Shop", "https://shop.example/")
    http = services.do_create_monitor(actor, name="Home", target="https://shop.example/")
    details = {"steps": [{"name": "open", "ms": 12.0}], "failed_step": "log in", "console_errors": ["boom"]}
    details["screenshot_png"] = base64.b64encode(PNG).decode()
    found = ProbeResult(ok=False, state=State.DOWN, latency_ms=12.0, reason='step "log in" failed', details=details)
    sent = [as_json(shop.pk, found), as_json(http.pk, found)]  # details on an HTTP monitor store nothing
    assert "screenshot_png" not in sent[0]["browser"]
    answer = agent.post("/api/v1/agent/results", {"results": sent}, format="json")
    assert answer.status_code == 200 and answer.json()["accepted"] == 2, answer.content
    run = BrowserRun.objects.get()
    assert (run.monitor, run.location, run.failed_step, run.console_errors) == (shop, location, "log in", ["boom"])
    assert run.steps == [{"name": "open", "ms": 12.0}] and run.screenshot is None


def test_a_real_worker_takes_a_dispatched_browser_check_from_the_browser_queue(shop, chromium, celery_worker):
    monitor = Monitor.objects.create(
        name="Shop home", kind="browser", target=shop.url, steps=[{"wait_for_text": "Log in"}],
        next_check_at=timezone.now(), timeout_seconds=10,
    )  # fmt: skip
    tasks.dispatch.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not BrowserRun.objects.filter(monitor=monitor).exists():
        time.sleep(0.2)
    run = BrowserRun.objects.get(monitor=monitor)
    assert run.ok and [step["name"] for step in run.steps] == ["open", "wait_for_text Log in"]
    monitor.refresh_from_db()
    assert monitor.last_checked_at is not None
