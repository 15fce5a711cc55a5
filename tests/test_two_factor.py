"""Two-factor sign-in (vigil.twofactor): a code after the password, enrolment, backup codes, an admin's reset."""

import re
import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.services import do_declare
from tests.conftest import PASSWORD, api_client_for, make_user
from tests.test_settings import manage
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil.roles import Role
from vigil.twofactor import services

BACKUP = "abcd2345"


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or STEPS_AHEAD time steps later), by django-otp's own TOTP."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name=services.TOTP_NAME, confirmed=True)
    backup = StaticDevice.objects.create(user=user, name=services.BACKUP_NAME, confirmed=True)
    backup.token_set.create(token=BACKUP)
    return device


def log_in(client, user, **extra):
    return client.post("/login/", {"username": user.username, "password": PASSWORD}, **extra)


@pytest.fixture
def required(settings):
    settings.VIGIL_REQUIRE_ADMIN_2FA = True


@pytest.fixture
def incident(responder):
    return do_declare(Actor(user=responder), title="Checkout is down")[0]


# --- Signing in with a code ----------------------------------------------------------------------------


def test_a_user_with_an_app_is_not_logged_in_until_the_code_is_right(client, responder):
    device = enrolled(responder)
    response = log_in(client, responder)
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/verify/"
    assert client.get("/").status_code == 302  # the password alone signed nobody in

    wrong = "000000" if code_for(device) != "000000" else "111111"
    refused = client.post("/account/two-factor/verify/", {"code": wrong})
    assert refused.status_code == 400 and "That code is not right" in refused.content.decode()
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # the throttle is tried below; here, try again at once
    device.save()

    response = client.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    actions = list(AuditEntry.objects.filter(actor=responder).values_list("action", flat=True))
    assert "auth.2fa.failed" in actions and "auth.login" in actions


def test_the_code_step_goes_back_where_the_visitor_was_going(client, responder):
    device = enrolled(responder)
    client.post("/login/?next=/monitors/", {"username": responder.username, "password": PASSWORD, "next": "/monitors/"})
    response = client.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert response["Location"] == "/monitors/"


def test_a_backup_code_signs_in_once(client, responder):
    enrolled(responder)
    log_in(client, responder)
    assert client.post("/account/two-factor/verify/", {"code": BACKUP.upper()}).status_code == 302
    assert client.get("/").status_code == 200
    assert not StaticToken.objects.filter(token=BACKUP).exists()

    client.post("/logout/")
    other = Client()
    log_in(other, responder)
    assert other.post("/account/two-factor/verify/", {"code": BACKUP}).status_code == 400


def test_wrong_codes_are_throttled_even_for_the_right_code(client, responder):
    device = enrolled(responder)
    log_in(client, responder)
    client.post("/account/two-factor/verify/", {"code": "12"})
    client.post("/account/two-factor/verify/", {"code": "13"})
    response = client.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert response.status_code == 400
    assert "Too many wrong codes: wait" in response.content.decode()
    assert client.get("/").status_code == 302


def test_the_code_step_expires(client, responder, monkeypatch):
    device = enrolled(responder)
    log_in(client, responder)
    later = time.time() + 301
    monkeypatch.setattr("vigil.twofactor.views.time.time", lambda: later)
    response = client.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_without_a_password_first_the_code_page_signs_nobody_in(client, responder):
    device = enrolled(responder)
    response = client.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


# --- Admins must enrol -----------------------------------------------------------------------------------


def test_an_admin_without_a_device_is_sent_to_enrol_before_anything_else(client, admin_user, required, incident):
    response = log_in(client, admin_user)
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/enrol/")
    # Nothing else opens: the dashboard, Django's admin, the API by session.
    for path in ("/", f"/incidents/{incident.pk}/", "/system/audit/"):
        assert "/login/" in client.get(path)["Location"]
    assert client.get("/login/?next=/system/")["Location"] == "/account/two-factor/enrol/?next=%2Fsystem%2F"
    assert "/login/" in client.get("/admin/")["Location"]
    assert client.get("/api/v1/incidents/").status_code in (401, 403)
    # API keys are a credential of their own: unaffected.
    assert api_client_for(admin_user).get("/api/v1/incidents/").status_code == 200

    page = client.get("/account/two-factor/enrol/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body.split("</head>")[1]  # the QR code is drawn here, no script
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert client.get("/account/two-factor/enrol/").content.decode().count(services.secret_text(device)) == 1

    assert client.post("/account/two-factor/enrol/", {"code": "000"}).status_code == 400
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.save()
    done = client.post("/account/two-factor/enrol/", {"code": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == services.BACKUP_CODES
    assert client.get("/system/audit/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.2fa.enrol", actor=admin_user).exists()


def test_a_session_from_before_two_factor_was_required_must_give_a_code(client, admin_user, required):
    device = enrolled(admin_user)
    client.force_login(admin_user)  # as Django's own login() would leave it
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/verify/")
    assert client.post("/account/two-factor/verify/", {"code": code_for(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_django_admins_own_login_page_leads_to_the_two_step_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"


def test_with_the_setting_off_an_admin_signs_in_with_the_password_alone(client, admin_user, settings):
    settings.VIGIL_REQUIRE_ADMIN_2FA = False
    assert log_in(client, admin_user)["Location"] == "/"
    assert client.get("/system/audit/").status_code == 200


@pytest.mark.parametrize(
    ("debug", "override", "expected"), [("0", None, "True"), ("1", None, "False"), ("0", "0", "False")]
)
def test_admins_must_use_two_factor_by_default_when_debug_is_off(tmp_path, debug, override, expected):
    env = {"DEBUG": debug, "VIGIL_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 60}
    if override is not None:
        env["VIGIL_REQUIRE_ADMIN_2FA"] = override
    code = "from django.conf import settings; print(settings.VIGIL_REQUIRE_ADMIN_2FA)"
    result = manage("shell", "-v0", "-c", code, **env)
    assert result.stdout.strip() == expected, result.stderr


# --- Managing it -------------------------------------------------------------------------------------------


def test_new_backup_codes_replace_the_old_ones(client, responder):
    device = enrolled(responder)
    log_in(client, responder)
    client.post("/account/two-factor/verify/", {"code": code_for(device)})
    response = client.post("/account/two-factor/", {"action": "backup-codes"})
    assert response.status_code == 200
    assert not StaticToken.objects.filter(token=BACKUP).exists()
    assert StaticToken.objects.filter(device__user=responder).count() == services.BACKUP_CODES


def test_turning_it_off_needs_a_current_code_and_admins_cannot_when_required(client, responder, admin_user, settings):
    device = enrolled(responder)
    log_in(client, responder)
    client.post("/account/two-factor/verify/", {"code": code_for(device)})
    client.post("/account/two-factor/", {"action": "turn-off", "code": "000000"})
    assert services.has_device(responder)
    TOTPDevice.objects.update(throttling_failure_timestamp=None)  # the wrong code's throttle, passed
    client.post("/account/two-factor/", {"action": "turn-off", "code": code_for(device, steps_ahead=1)})
    assert not services.has_device(responder)

    settings.VIGIL_REQUIRE_ADMIN_2FA = True
    admin_device = enrolled(admin_user)
    admin = Client()
    log_in(admin, admin_user)
    admin.post("/account/two-factor/verify/", {"code": code_for(admin_device)})
    admin.post("/account/two-factor/", {"action": "turn-off", "code": BACKUP})
    assert services.has_device(admin_user)


# --- An admin's reset: every persona tries it --------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_only_an_admin_resets_someones_two_factor_and_it_is_audited(web_clients, personas, role):
    target = make_user("tess-target", Role.VIEWER)
    enrolled(target)
    listing = web_clients[role].get("/account/two-factor/users/")
    response = web_clients[role].post(f"/account/two-factor/users/{target.pk}/reset/")
    if role == "admin":
        assert listing.status_code == 200 and target.username in listing.content.decode()
        assert response.status_code == 302
        assert not services.has_device(target)
        entry = AuditEntry.objects.get(action="auth.2fa.reset")
        assert entry.actor == personas["admin"] and entry.details["username"] == target.username
    else:
        expected = 302 if role == "anonymous" else 403
        assert listing.status_code == expected and response.status_code == expected
        assert services.has_device(target)
        assert not AuditEntry.objects.filter(action="auth.2fa.reset").exists()


def test_a_reset_unverifies_the_users_open_sessions(client, admin_user, responder, required):
    device = enrolled(admin_user)
    log_in(client, admin_user)
    client.post("/account/two-factor/verify/", {"code": code_for(device)})
    assert client.get("/system/audit/").status_code == 200
    with pytest.raises(services.TwoFactorError):  # a responder may not
        services.do_reset(Actor(user=responder), admin_user)
    other_admin = type(admin_user).objects.create_superuser("bob-admin", "bob@example.com", PASSWORD)
    services.do_reset(Actor(user=other_admin), admin_user)
    # The open session is no longer verified: the admin must enrol again before anything else.
    assert "/login/" in client.get("/system/audit/")["Location"]
    assert client.get("/login/")["Location"].startswith("/account/two-factor/enrol/")


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_everyone_signed_in_can_open_their_own_two_factor_page(web_clients, role):
    response = web_clients[role].get("/account/two-factor/")
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 200 and "Two-factor sign-in" in response.content.decode()
