"""Login and logout with Django auth; failed logins are rate limited and audited."""

from tests.conftest import PASSWORD
from vigil.models import AuditEntry


def test_it_logs_in_and_out_and_audits_both(client, responder):
    response = client.post("/login/", {"username": responder.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302
    actions = list(AuditEntry.objects.filter(actor=responder).values_list("action", flat=True))
    assert "auth.login" in actions and "auth.logout" in actions


def test_a_wrong_password_is_refused_with_a_form_error(client, responder):
    response = client.post("/login/", {"username": responder.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.details["username"] == responder.username
    assert entry.ip == "127.0.0.1"


def test_repeated_failures_lock_out_even_the_right_password(client, responder, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": responder.username, "password": "wrong"})
    locked = client.post("/login/", {"username": responder.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert client.get("/").status_code == 302  # still not logged in


def test_a_lockout_is_per_username_and_address(client, responder, viewer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": responder.username, "password": "wrong"})
    ok = client.post("/login/", {"username": viewer.username, "password": PASSWORD})
    assert ok.status_code == 302
