"""The Content-Security-Policy in Chromium: the main pages load under it with no violation reported and
their scripts and styles still work (the status page's accent colour, the reports' chart colours)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import StatusPageBranding
from comms.status import snapshot as snapshots
from incidents.models import Component, PublicStatus
from incidents.services import do_declare, do_post_update
from monitoring.models import CheckResult, Monitor
from tests.browser.conftest import login
from vigil.audit import Actor

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


@pytest.fixture
def watched(page):
    """PAGE, recording CSP violation events and console errors that mention the policy."""
    console = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.csp_console = console
    return page


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    header = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in header and "frame-ancestors 'none'" in header, (url, header)
    page.wait_for_load_state("load")
    assert page.evaluate("window.__csp") == [], (url, page.evaluate("window.__csp"))
    assert page.csp_console == [], (url, page.csp_console)


def test_the_main_pages_load_with_no_policy_violation(watched, live_server, admin_user, responder, settings):
    page = watched
    settings.VIGIL_BASE_URL = live_server.url
    api = Component.objects.create(name="Public API", public=True)
    incident, _ = do_declare(Actor(user=responder), title="Checkout returns 502", components={api: "partial_outage"})
    do_post_update(Actor(user=responder), incident, PublicStatus.INVESTIGATING, "Looking into it.")
    monitor = Monitor.objects.create(name="Checkout", target="https://192.0.2.10/health", component=api)
    now = timezone.now()
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor, checked_at=now - timedelta(minutes=n), outcome=2 if n % 7 == 0 else 0, latency_ms=40 + n
        )
        for n in range(60)
    )
    branding = StatusPageBranding.load()
    branding.accent_colour = "#aa3300"
    branding.save()
    snapshots.rebuild()

    login(page, live_server, admin_user)
    for path in ("/", f"/incidents/{incident.pk}/", f"/monitors/{monitor.pk}/", "/postmortems/reports/?days=365"):
        visit(page, live_server.url + path)
    # vigil.js ran (it reports the browser's time zone in a cookie).
    assert "tz=" in page.evaluate("document.cookie")
    fills = page.evaluate("[...document.querySelectorAll('svg.chart .s0')].map(e => getComputedStyle(e).fill)")
    assert fills and set(fills) == {"rgb(59, 111, 216)"}  # the charts' colours, now from vigil.css
    # The API docs (Swagger UI, whose start-up script is loaded by URL) render under their own policy.
    visit(page, f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.evaluate("window.__csp") == [] and page.csp_console == []

    visit(page, f"{live_server.url}/status/")
    accent = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert accent == "#aa3300"
    # status.js ran (times are rewritten in the visitor's zone, the UTC text kept as a title).
    assert page.locator("time[datetime][title]").count() > 0
    visit(page, f"{live_server.url}/status/incidents/{incident.pk}/")
    assert page.js_errors == []

    # The listener does hear the policy: a <style> element added now is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('style'); s.textContent = 'body {}'; document.head.append(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__csp")[0].startswith("style-src-elem inline")
