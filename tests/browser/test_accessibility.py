"""Every main page passes an axe-core scan with no serious or critical violation (issue #15), in the light
and the dark scheme, on a desk (1280x800) and on a phone (390x844), with the data an install has in the
middle of an outage: an open SEV1 with updates, a commander and a page, monitors up and down, a schedule
of two layers, stakeholders and subscribers, a post-mortem with action items, DR plans and reports.

axe-core is the npm package pinned in package.json (bin/test installs it with `npm ci` when npm exists);
without it the test skips with the reason, and fails under REQUIRE_SERVICES=1. Its axe.min.js is given
to each browser context as an init script, so every page loads it before its own scripts: handing it to
each page with add_script_tag sends its 550 KB over again for each of the 76 pages, which doubled the
scan's time on the test machine. The contexts bypass the pages' Content-Security-Policy, which rightly
refuses a script it does not know (tests/browser/test_csp_in_the_browser.py checks the policy itself).

Fast enough to run with the rest (about 45 s here, plus the session's database and browser): the data is
made once and the pages visited in a loop, one browser context per scheme and screen. One test holds the
loop because the live server's tests flush the database after each test, so nothing made for one test
outlives it.
"""

from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from comms.models import Subscriber
from dr_plans.models import DRPlan
from incidents.models import Component, ComponentStatus, PublicStatus, Schedule
from incidents.services import do_add_note, do_declare, do_post_update
from monitoring import locations
from monitoring.models import CheckResult, Monitor, StateChange
from postmortems import services as postmortems
from postmortems.models import PostMortem
from tests.browser_harness import DESKTOP, PHONE, TIMEOUT_MS
from tests.conftest import make_user, need
from tests.oncall.conftest import make_rotation
from vigil.audit import Actor
from vigil.roles import Role

from .conftest import login

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

SCREENS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}

# axe.run() resolves to its results; only violations are asked for (passes and incomplete cost time).
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's script; session-scoped so that, missing, it skips before the browser and database start."""
    need(
        "axe-core",
        AXE.is_file(),
        f"{AXE.relative_to(AXE.parents[2])} is missing: run `npm ci` (Node.js: sudo apt-get install -y nodejs npm)",
    )
    return AXE


@pytest.fixture
def outage(settings, eager_celery, no_packet_leaves, admin_user):
    """The demo data (seed_demo) and, on top, an outage in progress. Pages go to the sandbox channel."""
    settings.VIGIL_COMMS_SANDBOX = True
    call_command("seed_demo", stdout=StringIO())
    actor = Actor(user=admin_user, via="web")
    ines = make_user("ines", Role.RESPONDER)
    payments = Component.objects.get(name="Payments")
    incident, _ = do_declare(
        actor,
        title="Checkout returns 502 for every card payment",
        severity="sev1",
        summary="Every card payment fails at the last step since 09:12.",
        components={payments: ComponentStatus.MAJOR_OUTAGE},
        commander=admin_user,
    )
    do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Card payments fail. We are investigating.")
    do_add_note(actor, incident, "The provider's status page is green; our gateway logs show TLS resets.")
    do_post_update(actor, incident, PublicStatus.IDENTIFIED, "A certificate expired at our gateway; renewing it.")

    now = timezone.now()
    website, api = Monitor.objects.get(name="Website"), Monitor.objects.get(name="Public status API")
    Monitor.objects.filter(pk=website.pk).update(state=Monitor.State.UP, last_checked_at=now, last_latency_ms=42)
    Monitor.objects.filter(pk=api.pk).update(
        state=Monitor.State.DOWN, last_checked_at=now, state_changed_at=now - timedelta(minutes=7),
        last_failure_at=now, last_failure_reason="HTTP 502", incident=incident,
    )  # fmt: skip
    UP, DOWN = CheckResult.Outcome.UP, CheckResult.Outcome.DOWN
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=api, checked_at=now - timedelta(minutes=i), outcome=UP if i > 7 else DOWN,
            latency_ms=40 + i, status_code=200 if i > 7 else 502, reason="" if i > 7 else "HTTP 502",
        )
        for i in range(30)
    )  # fmt: skip
    StateChange.objects.create(
        monitor=api, at=now - timedelta(minutes=7), from_state=Monitor.State.UP, to_state=Monitor.State.DOWN
    )
    # A probe agent that sees it too, so the monitor page shows its Locations panel and /monitors/locations/ a row.
    frankfurt, _ = locations.do_create_location(actor, "eu-central", region="Frankfurt")
    CheckResult.objects.create(
        monitor=api, location=frankfurt, checked_at=now - timedelta(seconds=20), outcome=DOWN, reason="HTTP 502"
    )

    schedule = Schedule.objects.get(name="Platform primary")
    make_rotation(
        schedule, [ines, admin_user], starts_at=now - timedelta(days=2), unit="days", name="Follow the sun", priority=1
    )
    Subscriber.objects.create(kind="email", address="buyer@example.com", confirmed_at=now)
    Subscriber.objects.create(kind="sms", address="+14155550111", confirmed_at=now)

    postmortem = PostMortem.objects.get()
    for title, kind in [("Alert on certificate expiry 21 days ahead", "detect"), ("Renew certs by ACME", "prevent")]:
        postmortems.do_create_action_item(
            actor, title=title, owner=ines, due_date=now.date() + timedelta(days=14), kind=kind, postmortem=postmortem
        )
    return {
        "incident": incident,
        "monitor": api,
        "schedule": schedule,
        "postmortem": postmortem,
        "plan": DRPlan.objects.order_by("pk").first(),
    }


def main_pages(data) -> list[str]:
    return [
        "/",
        "/incidents/",
        "/incidents/declare/",
        data["incident"].get_absolute_url(),
        "/monitors/",
        data["monitor"].get_absolute_url(),
        f"/monitors/{data['monitor'].pk}/edit/",
        "/monitors/locations/",
        "/oncall/",
        data["schedule"].get_absolute_url(),
        "/comms/",
        "/postmortems/",
        data["postmortem"].get_absolute_url(),
        "/postmortems/reports/",
        "/dr-plans/",
        f"/dr-plans/{data['plan'].pk}/",
        "/status/",
        "/status/subscribe/",
        "/api/docs/",
    ]


def scan(page) -> list[dict]:
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def describe(where: str, violations: list[dict]) -> list[str]:
    return [
        f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['count']}x: {'; '.join(v['targets'])})"
        for v in violations
    ]


def test_every_main_page_has_no_serious_or_critical_axe_violation(axe_script, browser, live_server, outage, admin_user):
    problems = []
    for scheme in ("light", "dark"):
        for screen, options in SCREENS.items():
            # bypass_csp: the pages' Content-Security-Policy refuses the injected script (as it should).
            context = browser.new_context(color_scheme=scheme, bypass_csp=True, **options)
            context.set_default_timeout(TIMEOUT_MS)
            context.add_init_script(path=str(axe_script))
            try:
                problems += scan_pages(context.new_page(), live_server, admin_user, outage, f"{scheme} {screen}")
            finally:
                context.close()
    assert problems == [], "\n".join(["", *problems])


def scan_pages(page, live_server, user, data, where: str) -> list[str]:
    """The login page as the anonymous visitor sees it, then every main page signed in as USER."""
    problems = []
    for path in ["/login/", *main_pages(data)]:
        if path == "/":
            login(page, live_server, user)
        response = page.goto(f"{live_server.url}{path}")
        if not response.ok or urlsplit(page.url).path != path:
            problems.append(f"{where} {path}: did not open (HTTP {response.status}, at {page.url})")
            continue
        if path == "/api/docs/":
            page.locator(".swagger-ui .opblock").first.wait_for(timeout=4 * TIMEOUT_MS)
        problems += describe(f"{where} {path}", scan(page))
    return problems
