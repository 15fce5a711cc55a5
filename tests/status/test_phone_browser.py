"""The status page in a real browser on a phone-sized viewport (Chromium through Playwright)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.status import services as maintenance_services
from comms.status import snapshot as snapshots
from monitoring.models import Monitor, Rollup
from monitoring.uptime import floor_day
from tests.browser_harness import PHONE, TIMEOUT_MS, _new_page

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_page(actor, outage, past_incident, website, email_component):
    api = outage.components.get()
    today = floor_day(timezone.now())
    monitor = Monitor.objects.create(
        name="API health", target="https://api.example/health", component=api, created_at=today - timedelta(days=1)
    )
    Rollup.objects.create(
        monitor=monitor, period=Rollup.Period.DAY, start=today - timedelta(days=1), monitored_seconds=86400.0,
        downtime_seconds=3600.0,
    )  # fmt: skip
    soon = timezone.now() + timedelta(days=1)
    maintenance_services.do_schedule_maintenance(
        actor, title="Network upgrade with a rather long title that must wrap on a small screen",
        message="Brief packet loss while we move racks.", components=[website, email_component],
        starts_at=soon, ends_at=soon + timedelta(hours=2),
    )  # fmt: skip
    snapshots.rebuild()


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []


def test_the_page_reads_well_on_a_phone(busy_page, phone_page, live_server):
    page = phone_page
    page.goto(f"{live_server.url}/status/")
    fits_the_phone(page)
    banner = page.get_by_test_id("banner")
    assert banner.is_visible() and "Partial System Outage" in banner.inner_text()
    assert page.get_by_role("heading", name="Active incidents").is_visible()
    assert page.get_by_text("A bad deploy; rolling back.").is_visible()
    assert page.get_by_role("heading", name="Scheduled maintenance").is_visible()
    # Every component with its status in words and its bars (the monitored one) inside the screen.
    for item in page.get_by_test_id("component").all():
        for bars in item.locator("svg.bars").all():
            box = bars.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert item.locator(".status").inner_text().strip()
    # Text stays readable; links are big enough to tap.
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 14
    for link in page.locator("header nav a").all():
        assert link.bounding_box()["height"] >= 24
    # A bar, focused from the keyboard, tells its day in words (the first: monitoring began yesterday).
    bar = page.locator("svg.bars").first.locator("rect").first
    bar.focus()
    detail = page.locator(".bar-detail").first
    assert "95.83% uptime" in detail.inner_text()
    # Times are shown in the browser's own words (the script localised them); the datetime stays UTC.
    first_time = page.locator("time[datetime]").first
    assert first_time.get_attribute("datetime").endswith("Z")
    # The incident's own page fits too.
    page.get_by_role("link", name="Elevated API errors").first.click()
    page.wait_for_url("**/incidents/*/")
    fits_the_phone(page)
    assert page.get_by_role("heading", name="Elevated API errors").is_visible()


def test_the_page_needs_no_javascript(busy_page, browser, live_server, request):
    pages = _new_page(browser, request, viewport=PHONE, is_mobile=True, java_script_enabled=False)
    page = next(pages)
    try:
        page.goto(f"{live_server.url}/status/", timeout=TIMEOUT_MS)
        assert "Partial System Outage" in page.get_by_test_id("banner").inner_text()
        assert page.get_by_text("We are looking into errors on the API.").is_visible()
        # Bars from the day monitoring began (yesterday), for the one monitored component.
        assert page.locator("svg.bars rect").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        pages.close()
