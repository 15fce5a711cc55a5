"""The incident, from declare to resolve, as a responder lives it at 3 a.m. (issue #15, items 6 to 10), on a
desk and on a phone: a SEV1 pages someone, the header says who and whether they acknowledged, the four
primary actions are on the first screen, an update says who it reaches before and after, changes made
elsewhere appear without a reload, refused forms show their errors where they are, long text wraps, and
the whole path takes at most 8 clicks.

Messages go to the sandbox channel (VIGIL_COMMS_SANDBOX) and Celery runs eagerly: the escalation's first
step, the page's delivery and an update's fan-out happen inside the request, as a worker would do them.
No packet leaves the machine (no_packet_leaves)."""

import re
import time
from collections import Counter

import pytest
from django.utils import timezone

from comms.models import Notification, Stakeholder, Subscriber
from incidents.models import Component, Incident, IncidentUpdate, Page, Status
from incidents.services import do_add_note, do_declare
from tests.conftest import api_client_for, make_user
from tests.incidents.factories import on_call_policy, severity_default
from vigil.audit import Actor
from vigil.roles import Role

from .conftest import login


@pytest.fixture(params=["desktop", "phone"])
def screen(request):
    """The test on a desk-sized and on a phone-sized screen."""
    return request.getfixturevalue("page" if request.param == "desktop" else "phone_page")


@pytest.fixture
def quiet_world(settings, eager_celery, no_packet_leaves):
    settings.VIGIL_COMMS_SANDBOX = True


@pytest.fixture
def olive(roles):
    user = make_user("olive", Role.RESPONDER)
    user.first_name, user.last_name = "Olive", "Oncall"
    user.save()
    return user


@pytest.fixture
def sev1_pages_olive(olive):
    policy = on_call_policy(olive)
    severity_default("sev1", policy)
    return policy


class Clicks:
    """page.click/check/select_option through one counter: fill() is typing, not a click."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, locator, navigates: bool = False):
        self.count += 1
        if navigates:
            with self.page.expect_navigation():
                locator.click()
        else:
            locator.click()

    def check(self, locator):
        self.count += 1
        locator.check()

    def select(self, locator, value):
        self.count += 1
        locator.select_option(value)


def header(page):
    return page.get_by_test_id("incident-header")


def declare_sev1(page, live_server, title: str, paging: str | None = None):
    page.goto(f"{live_server.url}/incidents/declare/")
    page.fill("#id_title", title)
    page.locator("input[name=severity][value=sev1]").check()
    if paging:
        page.select_option("#id_escalation_policy", paging)
    with page.expect_navigation():
        page.get_by_role("button", name="Declare").click()


def flash(page) -> str:
    return page.locator(".messages").inner_text() if page.locator(".messages").count() else ""


def red(locator) -> bool:
    """Shown in the scheme's red (--bad on --bad-bg)."""
    colours = locator.evaluate(
        "el => { const s = getComputedStyle(el), r = getComputedStyle(document.documentElement);"
        " return [s.backgroundColor, r.getPropertyValue('--bad-bg').trim()]; }"
    )
    probe = locator.page.evaluate(
        "bg => { const d = document.createElement('div'); d.style.cssText = ''; d.style.background = bg;"
        " document.body.append(d); const c = getComputedStyle(d).backgroundColor; d.remove(); return c; }",
        colours[1],
    )
    return colours[0] == probe


def test_a_sev1_declared_with_the_defaults_pages_the_oncall_and_the_header_says_who(
    screen, live_server, responder, sev1_pages_olive, quiet_world
):
    page = login(screen, live_server, responder)
    page.goto(f"{live_server.url}/incidents/declare/")
    assert page.locator("#id_escalation_policy").input_value() == "default"  # preselected, and visible
    page.locator("input[name=severity][value=sev1]").check()
    preview = page.get_by_test_id("paging-preview")
    preview.filter(has_text="Olive Oncall, on call on Platform primary").wait_for()
    assert "Platform on-call (the default for SEV1)" in preview.inner_text()
    page.fill("#id_title", "Checkout returns 502")
    with page.expect_navigation():
        page.get_by_role("button", name="Declare").click()
    incident = Incident.objects.get(title="Checkout returns 502")
    assert list(Page.objects.filter(incident=incident).values_list("user__username", flat=True)) == ["olive"]
    paged = header(page).get_by_test_id("paged-person")
    assert "Olive Oncall" in paged.inner_text() and "not acknowledged" in paged.inner_text()
    assert header(page).get_by_test_id("incident-severity").inner_text() == "SEV1"
    assert not page.js_errors


def test_declaring_with_nobody_to_page_warns_in_red_and_page_the_oncall_works(
    screen, live_server, responder, olive, quiet_world
):
    on_call_policy(olive)  # a policy with someone on call, but no severity's default
    page = login(screen, live_server, responder)
    page.goto(f"{live_server.url}/incidents/declare/")
    page.locator("input[name=severity][value=sev1]").check()
    warning = page.get_by_test_id("paging-preview").filter(has_text="Nobody would be paged")
    warning.wait_for()
    assert red(warning)
    page.fill("#id_title", "Payments time out")
    with page.expect_navigation():
        page.get_by_role("button", name="Declare").click()
    nobody = page.get_by_test_id("nobody-paged")
    assert nobody.is_visible() and red(nobody)
    assert "Olive Oncall (on call on Platform primary), by Platform on-call" in nobody.inner_text()
    with page.expect_navigation():
        page.get_by_test_id("action-page").click()  # one click
    assert "Paging Platform on-call" in flash(page)
    assert "Olive Oncall" in header(page).get_by_test_id("paged-person").inner_text()
    assert page.get_by_test_id("nobody-paged").count() == 0
    assert Page.objects.filter(incident__title="Payments time out", user=olive).exists()
    assert not page.js_errors


def test_acknowledging_when_nothing_was_paging_never_says_paging_stopped(page, live_server, responder, quiet_world):
    login(page, live_server, responder)
    declare_sev1(page, live_server, "Search is slow", paging="none")
    with page.expect_navigation():
        page.get_by_test_id("action-acknowledge").click()
    assert "Acknowledged." in flash(page)
    assert "stopped" not in flash(page).lower() and "stopped" not in page.get_by_test_id("timeline").inner_text()
    assert header(page).get_by_test_id("incident-status").inner_text() == "Acknowledged"


def test_the_header_and_the_four_primary_actions_are_in_the_first_screen(
    screen, live_server, responder, olive, quiet_world
):
    on_call_policy(olive)
    incident, _ = do_declare(
        Actor(user=responder),
        title="Checkout returns 502 for card payments in the EU",
        severity="sev1",
        summary="Card payments fail for about a third of customers.\n" * 5,
        components=[Component.objects.create(name="Payments")],
    )
    page = login(screen, live_server, responder)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    viewport = page.viewport_size
    for test_id in ("incident-header", "action-acknowledge", "action-update", "action-page", "action-resolve"):
        box = page.get_by_test_id(test_id).bounding_box()
        assert box is not None, test_id
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (test_id, box, viewport)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (test_id, box, viewport)
    for fact in ("incident-severity", "incident-status", "commander", "paged", "elapsed", "next-update"):
        box = page.get_by_test_id(fact).bounding_box()
        assert box["y"] + box["height"] <= viewport["height"], fact
    assert "due in" in page.get_by_test_id("next-update").inner_text()  # SEV1: an update every 30 min
    assert not page.js_errors


def test_the_count_shown_before_posting_is_the_outbox_rows_written_after(page, live_server, responder, quiet_world):
    api = Component.objects.create(name="API")
    for n in range(3):
        Stakeholder.objects.create(name=f"E{n}", email=f"e{n}@example.com").components.add(api)
    both = Stakeholder.objects.create(name="B", email="b@example.com", phone="+14155550110", channels=["email", "sms"])
    both.components.add(api)
    Subscriber.objects.create(kind="email", address="s@example.com", confirmed_at=timezone.now())
    Subscriber.objects.create(kind="sms", address="+14155550111", confirmed_at=timezone.now())
    incident, _ = do_declare(Actor(user=responder), title="API errors", components=[api])

    login(page, live_server, responder)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.get_by_test_id("action-update").click()
    page.fill("#id_message", "A bad deploy; rolling back now.")
    page.select_option("#id_status", "identified")
    page.get_by_test_id("preview").wait_for()
    notify = page.get_by_test_id("notify").inner_text()
    assert notify == "Notify 4 stakeholders and 2 subscribers: 5 emails, 2 SMS."
    page.get_by_text("Preview what is sent").click()
    assert "A bad deploy; rolling back now." in page.get_by_test_id("preview-sms").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("post-update").click()
    assert "Update posted. Notifying 4 stakeholders and 2 subscribers: 5 emails, 2 SMS." in flash(page)
    update = IncidentUpdate.objects.get(incident=incident)
    rows = Counter(Notification.objects.filter(update=update).values_list("medium", flat=True))
    shown = {m: int(n) for n, m in re.findall(r"(\d+) (email|SMS)", notify)}
    assert rows == {"email": shown["email"], "sms": shown["SMS"]}
    assert not page.js_errors


def test_nobody_to_notify_is_said_before_and_after_posting(page, live_server, responder, quiet_world):
    incident, _ = do_declare(Actor(user=responder), title="Internal tool slow")
    login(page, live_server, responder)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.get_by_test_id("action-update").click()
    before = page.get_by_test_id("notify")
    assert before.inner_text().startswith("Nobody will be notified") and red(before)
    page.fill("#id_message", "Looking into it.")
    with page.expect_navigation():
        page.get_by_test_id("post-update").click()
    assert "Update posted. Nobody was notified" in flash(page)
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1


def test_an_update_posted_elsewhere_appears_on_the_open_incident_page_and_dashboard_within_5_s(
    page, live_server, responder, admin_user, quiet_world
):
    incident, _ = do_declare(Actor(user=responder), title="Checkout is slow", severity="sev2")
    login(page, live_server, responder)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    dashboard = page.context.new_page()
    dashboard_errors = []
    dashboard.on("pageerror", lambda exc: dashboard_errors.append(str(exc)))
    dashboard.goto(f"{live_server.url}/")
    row = dashboard.get_by_test_id("open-incident").filter(has_text="Checkout is slow")
    assert row.get_by_test_id("open-incident-status").inner_text() == "Triggered"
    for p in (page, dashboard):
        p.evaluate("window.__notReloaded = true")

    posted = time.monotonic()
    response = api_client_for(admin_user).post(
        f"/api/v1/incidents/{incident.pk}/updates/",
        {"status": "identified", "message": "The cache node is out of memory."},
        format="json",
    )
    assert response.status_code == 201
    header(page).get_by_test_id("incident-status").filter(has_text="Identified").wait_for(timeout=5_000)
    page.get_by_test_id("timeline").get_by_text("The cache node is out of memory.").wait_for(timeout=5_000)
    row.get_by_test_id("open-incident-status").filter(has_text="Identified").wait_for(timeout=5_000)
    assert time.monotonic() - posted < 5
    assert page.evaluate("window.__notReloaded") is True and dashboard.evaluate("window.__notReloaded") is True
    assert not page.js_errors and not dashboard_errors


def test_a_refused_update_shows_its_error_beside_the_field_and_a_reload_does_not_post_again(
    screen, live_server, responder, quiet_world
):
    incident, _ = do_declare(Actor(user=responder), title="DNS flaps")
    page = login(screen, live_server, responder)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.get_by_test_id("action-update").click()
    page.select_option("#id_status", "monitoring")
    with page.expect_navigation():
        page.get_by_test_id("post-update").click()  # no message
    assert page.url.split("#")[0] == f"{live_server.url}/incidents/{incident.pk}/"
    error = page.locator(".form-field:has(#id_message) .errorlist")
    assert error.inner_text() == "This field is required."
    assert error.is_visible() and page.locator("#update").get_attribute("open") is not None
    box, viewport = error.bounding_box(), page.viewport_size
    assert 0 <= box["y"] <= viewport["height"], "scrolled to the error"
    assert page.locator("#id_status").input_value() == "monitoring"  # what was chosen is kept
    page.reload()
    assert [u for u in posts if "/updates/" in u and "preview" not in u] == [
        f"{live_server.url}/incidents/{incident.pk}/updates/"
    ]
    assert IncidentUpdate.objects.count() == 0
    assert not page.js_errors


def test_long_unbroken_text_wraps_instead_of_widening_the_page(screen, live_server, responder, quiet_world):
    word = "x" * 500
    incident, _ = do_declare(Actor(user=responder), title="y" * 200, summary=word, severity="sev1")
    page = login(screen, live_server, responder)
    do_add_note(Actor(user=responder), incident, "https://logs.example/" + word)
    for path in (incident.get_absolute_url(), "/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    assert not page.js_errors


def test_a_paste_longer_than_the_title_holds_is_refused_with_a_message_not_cut(page, live_server, responder):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, live_server, responder)
    page.goto(f"{live_server.url}/incidents/declare/")
    page.evaluate("text => navigator.clipboard.writeText(text)", "z" * 300)
    page.focus("#id_title")
    page.keyboard.press("ControlOrMeta+V")
    assert page.locator("#id_title").input_value() == ""  # refused, not cut to 200
    note = page.locator(".form-field:has(#id_title) .limit-note")
    assert "300 characters and this field holds 200" in note.inner_text()
    page.evaluate("text => navigator.clipboard.writeText(text)", "Checkout returns 502")
    page.keyboard.press("ControlOrMeta+V")
    assert page.locator("#id_title").input_value() == "Checkout returns 502"
    assert not page.js_errors


def test_declare_a_paging_sev1_to_resolved_in_at_most_8_clicks(
    screen, live_server, responder, sev1_pages_olive, quiet_world
):
    Subscriber.objects.create(kind="email", address="ann@example.com", confirmed_at=timezone.now())  # hears it all
    page = login(screen, live_server, responder)
    clicks = Clicks(page)
    page.goto(f"{live_server.url}/")
    clicks.click(page.get_by_role("link", name="Declare incident"), navigates=True)
    page.fill("#id_title", "Checkout returns 502")
    clicks.check(page.locator("input[name=severity][value=sev1]"))
    clicks.click(page.get_by_role("button", name="Declare"), navigates=True)
    assert "Olive Oncall" in header(page).get_by_test_id("paged-person").inner_text()
    clicks.click(page.get_by_test_id("action-acknowledge"), navigates=True)
    assert header(page).get_by_test_id("incident-status").inner_text() == "Acknowledged"
    clicks.click(page.get_by_test_id("action-update"))
    page.fill("#id_message", "A bad deploy; we are rolling back.")
    clicks.click(page.get_by_test_id("post-update"), navigates=True)
    assert "Notifying 1 subscriber: 1 email." in flash(page)
    clicks.click(page.get_by_test_id("action-resolve"), navigates=True)
    assert header(page).get_by_test_id("incident-status").inner_text() == "Resolved"

    incident = Incident.objects.get(title="Checkout returns 502")
    assert incident.status == Status.RESOLVED and incident.acknowledged_by == responder
    assert Page.objects.filter(incident=incident, user__username="olive").exists()
    assert Notification.objects.filter(update__incident=incident, destination="ann@example.com").exists()
    assert clicks.count <= 8, clicks.count
    assert not page.js_errors
