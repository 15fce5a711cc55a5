"""Two-factor sign-in in a real browser: an admin enrols an authenticator app, keeps the backup codes, signs
out and back in with a code. The codes are computed as the app would, with django-otp's own TOTP."""

import time
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _path(page) -> str:
    return urlsplit(page.url).path


def test_an_admin_enrols_then_signs_in_with_a_code(page, live_server, admin_user, settings):
    settings.VIGIL_REQUIRE_ADMIN_2FA = True
    login(page, live_server, admin_user)

    # Before anything else: the enrolment page, with the QR code drawn inline and the key to type.
    assert _path(page) == "/account/two-factor/enrol/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert len(secret) == 32  # what an app is given: the device's 20-byte key, in base32
    page.goto(f"{live_server.url}/incidents/")
    assert _path(page) == "/account/two-factor/enrol/"  # nothing else opens meanwhile

    page.get_by_label("Code from the app").fill(code_for(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.get_by_test_id("backup-codes").locator("code")
    expect(codes).to_have_count(10)
    with page.expect_navigation():
        page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")  # where the admin was going

    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()

    # Signing in again: the password, then the code (the next time step's: a code works once).
    login(page, live_server, admin_user)
    assert _path(page) == "/account/two-factor/verify/"
    expect(page.locator("[data-testid=who]")).to_have_count(0)
    page.get_by_label("Code").fill("000000" if code_for(device, 1) != "000000" else "111111")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist[role=alert]")).to_contain_text("That code is not right")
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # the throttle, waited out

    page.get_by_label("Code").fill(code_for(device, steps_ahead=1))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert _path(page) == "/"
    expect(page.locator("[data-testid=who]")).to_contain_text(admin_user.username)
    page.goto(f"{live_server.url}/system/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    assert page.js_errors == []
