"""The install's name and logo, set by its first admin on first sign-in; messages say "<Name> status updates",
never "Status status updates" (issue #15: a new install's confirmation emails read "Status status updates")."""

import pytest
from django.contrib.auth import get_user_model

from comms.models import Notification, StatusPageBranding
from comms.status import snapshot as snapshots
from comms.status.subscribers.services import do_subscribe
from tests.browser_harness import PHONE, login
from tests.conftest import PASSWORD
from vigil.audit import Actor
from vigil.roles import Role, assign_role


@pytest.fixture
def first_admin(roles):
    """The superuser bin/run makes (manage.py ensure_admin), with the admin role."""
    user = get_user_model().objects.create_superuser(username="admin", email="", password=PASSWORD)
    assign_role(user, Role.ADMIN)
    return user


def confirmation_subject(address: str) -> str:
    do_subscribe(Actor(via="web"), "email", address, [])
    return Notification.objects.get(destination=address).subject


@pytest.mark.parametrize(
    ("name", "label"),
    [("Acme", "Acme status updates"), ("Acme Status", "Acme Status updates"), ("Status", "Status updates")],
)
def test_the_page_s_name_reads_once_in_messages(name, label):
    from comms.models.status import status_label, updates_label

    assert updates_label(name) == label
    assert "status status" not in updates_label(name).lower()
    assert status_label(name).lower().endswith("status")


def test_a_new_install_s_confirmation_email_never_says_status_status(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        subject = confirmation_subject("ada@example.com")
    assert subject == "Confirm your subscription to Status updates"
    assert "status status" not in subject.lower()
    body = Notification.objects.get().body
    assert "Status status" not in body and "get Status updates" in body


def test_a_named_page_signs_its_messages_with_its_name(db, django_capture_on_commit_callbacks):
    StatusPageBranding.objects.create(pk=1, name="Acme")
    with django_capture_on_commit_callbacks(execute=False):
        assert confirmation_subject("ada@example.com") == "Confirm your subscription to Acme status updates"


def save_setup(page, name: str, logo: str) -> None:
    form = page.get_by_test_id("status-setup")
    assert form.is_visible()
    assert form.bounding_box()["y"] < page.viewport_size["height"]  # in the first viewport
    form.get_by_label("Status page name").fill(name)
    form.get_by_label("Logo URL").fill(logo)
    with page.expect_navigation():
        form.get_by_role("button", name="Save").click()


@pytest.mark.browser  # its page comes by name (getfixturevalue): say so, so it runs with the browser tests, last
@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_the_first_admin_names_the_page_and_gives_it_a_logo_at_first_sign_in(
    viewport, first_admin, live_server, request
):
    page = request.getfixturevalue(viewport)
    login(page, live_server, first_admin)
    assert page.get_by_role("heading", name="First, name your status page").is_visible()
    save_setup(page, "Acme", f"{live_server.url}/static/favicon.svg")
    assert "Acme status updates" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("status-setup").count() == 0
    branding = StatusPageBranding.objects.get()
    assert (branding.name, branding.logo_url) == ("Acme", f"{live_server.url}/static/favicon.svg")
    index = snapshots.current().documents["index.html"].body.decode()
    assert "<title>Acme</title>" in index and 'src="http://' in index  # rebuilt after the save, with the logo
    # Once named, signing in again asks nothing.
    page.context.clear_cookies()
    login(page, live_server, first_admin)
    assert page.get_by_test_id("status-setup").count() == 0
    if viewport == "phone_page":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.js_errors == []


def test_a_bad_logo_is_refused_beside_its_field_and_not_now_asks_again_next_time(first_admin, page, live_server):
    login(page, live_server, first_admin)
    save_setup(page, "Acme", "javascript:alert(1)")
    field = page.locator('[data-field="logo_url"]')
    assert "Enter a valid URL" in field.inner_text()
    assert field.locator("input").get_attribute("aria-invalid") == "true"
    assert not StatusPageBranding.objects.exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Not now").click()
    assert page.get_by_test_id("status-setup").count() == 0
    page.context.clear_cookies()
    login(page, live_server, first_admin)
    assert page.get_by_test_id("status-setup").is_visible()


def test_an_admin_by_role_and_a_responder_are_not_asked(admin_user, responder, page, live_server):
    for user in (admin_user, responder):
        page.context.clear_cookies()
        login(page, live_server, user)
        assert page.get_by_test_id("status-setup").count() == 0
