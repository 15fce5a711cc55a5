"""Monitors in a real browser, on a desktop and on a phone: one page to create one, *Test* before saving
against a server on loopback, headers as rows that reach it, the server's limits in the inputs, errors
in folded sections opened and shown, and the monitor's page keeping itself current."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring import services
from monitoring.models import Monitor
from monitoring.recording import Observation, record_observations
from tests.monitoring.recorder import Recorder
from vigil.audit import Actor

from .conftest import login

VIEWPORTS = ["page", "phone_page"]


@pytest.fixture(autouse=True)
def fresh_test_counts(monkeypatch):
    """Each test counts *Test* runs from zero (vigil.ratelimit's counters outlive a test)."""
    import uuid

    from vigil import ratelimit

    prefix = f"vigil:test-{uuid.uuid4().hex}:"
    monkeypatch.setattr(ratelimit, "prefix", lambda: prefix)


@pytest.fixture
def recorder():
    started = Recorder().start()
    yield started
    started.stop()


@pytest.fixture(params=VIEWPORTS)
def screen(request):
    """The page, on a desktop and then on a phone."""
    return request.getfixturevalue(request.param)


def open_new_monitor(screen, live_server, user):
    login(screen, live_server, user)
    screen.goto(f"{live_server.url}/monitors/")
    screen.get_by_role("link", name="New monitor").click()
    screen.wait_for_url("**/monitors/new/")


def test_create_an_http_monitor_on_one_page_after_testing_it_with_header_rows(
    screen, live_server, admin_user, recorder
):
    open_new_monitor(screen, live_server, admin_user)
    screen.get_by_label("Name", exact=True).fill("Checkout")
    screen.get_by_label("URL", exact=True).fill(recorder.url)
    screen.get_by_label("Check every (seconds)", exact=True).fill("30")
    screen.locator("summary", has_text="Request").click()
    screen.get_by_label("Header name").nth(0).fill("X-Team")
    screen.get_by_label("Header value").nth(0).fill("payments")
    screen.get_by_role("button", name="Add a header").click()
    screen.get_by_label("Header name").nth(1).fill("Accept")
    screen.get_by_label("Header value").nth(1).fill("text/html")

    screen.evaluate("window.__notReloaded = true")
    screen.get_by_role("button", name="Test", exact=True).click()
    result = screen.get_by_test_id("test-result")
    expect(result).to_contain_text("HTTP 200")
    expect(result.locator(".badge")).to_have_text("Up")
    assert screen.evaluate("window.__notReloaded") is True  # shown in place, the form as typed
    assert screen.url.endswith("/monitors/new/")
    sent = recorder.requests[-1]["headers"]
    assert sent["X-Team"] == "payments" and sent["Accept"] == "text/html"
    assert not Monitor.objects.exists()  # tested, not saved

    screen.get_by_role("button", name="Create monitor").click()
    screen.wait_for_url(f"{live_server.url}/monitors/*/")
    monitor = Monitor.objects.get()
    assert (monitor.name, monitor.target, monitor.interval_seconds) == ("Checkout", recorder.url, 30)
    assert monitor.headers == {"X-Team": "payments", "Accept": "text/html"}
    expect(screen.get_by_test_id("monitor-state")).to_have_text("Pending")
    assert not screen.js_errors


def test_the_interval_field_refuses_5_before_anything_is_sent(screen, live_server, admin_user):
    login(screen, live_server, admin_user)
    screen.goto(f"{live_server.url}/monitors/new/http/")
    screen.get_by_label("Name", exact=True).fill("Checkout")
    screen.get_by_label("URL", exact=True).fill("https://example.com/")
    interval = screen.get_by_label("Check every (seconds)", exact=True)
    interval.fill("5")
    screen.get_by_role("button", name="Create monitor").click()
    assert interval.evaluate("el => el.validity.rangeUnderflow") is True
    assert "10" in interval.evaluate("el => el.validationMessage")
    assert screen.url.endswith("/monitors/new/http/") and not Monitor.objects.exists()
    assert not screen.js_errors


def test_an_error_in_a_folded_section_opens_it_and_is_shown_beside_its_field(screen, live_server, admin_user):
    open_new_monitor(screen, live_server, admin_user)
    screen.get_by_label("Name", exact=True).fill("Checkout")
    screen.get_by_label("URL", exact=True).fill("https://example.com/")
    up = screen.locator("details.form-section", has=screen.locator("summary", has_text="What counts as up"))
    up.locator("summary").click()
    screen.get_by_label("Expected status codes", exact=True).fill("sometimes")
    up.locator("summary").click()  # folded again: the error will be inside a closed section
    assert up.evaluate("el => el.open") is False
    screen.get_by_role("button", name="Create monitor").click()

    error = screen.locator("#monitor_expected_status_error")
    expect(error).to_contain_text("Must list codes or ranges")
    expect(error).to_be_in_viewport()
    assert screen.locator("details.form-section", has=screen.locator("#monitor_expected_status")).evaluate(
        "el => el.open"
    )
    expect(screen.locator("#monitor_expected_status")).to_be_focused()
    assert not Monitor.objects.exists()

    # A value the browser itself refuses inside a folded section: the section opens to show it.
    checks = screen.locator("details.form-section", has=screen.locator("summary", has_text="Timeouts and retries"))
    checks.locator("summary").click()
    screen.get_by_label("Timeout (seconds)", exact=True).fill("90")
    checks.locator("summary").click()
    screen.get_by_label("Expected status codes", exact=True).fill("2xx")
    screen.get_by_role("button", name="Create monitor").click()
    expect(checks).to_have_attribute("open", "")
    assert screen.get_by_label("Timeout (seconds)", exact=True).evaluate("el => el.validity.rangeOverflow") is True
    assert not Monitor.objects.exists()
    assert not screen.js_errors


def test_a_monitor_going_down_shows_on_its_open_page_within_5_s(screen, live_server, responder, admin_user):
    monitor = services.do_create_monitor(
        Actor(user=admin_user), name="Search API", target="https://search.example/health", failure_threshold=1
    )
    login(screen, live_server, responder)
    screen.goto(f"{live_server.url}/monitors/{monitor.pk}/")
    expect(screen.get_by_test_id("monitor-state")).to_have_text("Pending")
    screen.evaluate("window.__notReloaded = true")
    went_down = time.monotonic()
    record_observations([Observation(monitor.pk, "down", timezone.now(), reason="HTTP 503 (expected 200-299)")])
    expect(screen.get_by_test_id("monitor-state")).to_have_text("Down", timeout=5_000)
    assert time.monotonic() - went_down < 5
    expect(screen.get_by_test_id("state-reason")).to_contain_text("HTTP 503")
    expect(screen.get_by_test_id("monitor-incident")).to_contain_text("Search API is down")
    assert screen.evaluate("window.__notReloaded") is True
    assert not screen.js_errors


def test_a_long_unbroken_name_and_target_do_not_widen_the_monitors_page(phone_page, live_server, responder, admin_user):
    monitor = services.do_create_monitor(
        Actor(user=admin_user), name="W" * 100, target="https://example.com/" + "x" * 600
    )
    login(phone_page, live_server, responder)
    phone_page.goto(f"{live_server.url}/monitors/{monitor.pk}/")
    widths = phone_page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
