"""OpenID Connect sign-in against a real provider: django-oauth-toolkit with OIDC (tests/accounts/
oidc_provider), run by gunicorn on a free loopback port for this module. Vigil is driven with
Django's test client; the person's browser at the provider is a requests session."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.oidc import OIDCBackend
from incidents.models import Team
from tests.conftest import PASSWORD, make_user
from vigil.models import AuditEntry
from vigil.roles import Role, role_of
from vigil.twofactor.services import SESSION_PROVIDER

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "vigil-test", "vigil-test-secret"
GROUP_MAP = "vigil-admins=admin,payments-oncall=responder:Payments,db-oncall=responder:Databases,everyone=viewer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class Provider:
    def __init__(self, url: str, directory: Path):
        self.url, self.dir = url, directory

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/o/.well-known/openid-configuration/"

    def person(self, username: str, *, email: str | None = None, verified=True, groups=("payments-oncall",)) -> None:
        people = json.loads((self.dir / "claims.json").read_text())
        people[username] = {
            "email": email or f"{username}@example.com",
            "email_verified": verified,
            "preferred_username": username,
            "given_name": username.title(),
            "groups": list(groups),
        }
        (self.dir / "claims.json").write_text(json.dumps(people))


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    directory = tmp_path_factory.mktemp("oidc-provider")
    (directory / "key.pem").write_text(_rsa_pem())
    (directory / "claims.json").write_text("{}")
    port, errors = _free_port(), directory / "stderr.log"
    env = {
        **os.environ,
        "PROVIDER_DIR": str(directory),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": "http://testserver/oidc/callback/",
        "LOGOUT_URI": "http://testserver/login/",
    }
    command = [sys.executable, "-m", "gunicorn", "tests.accounts.oidc_provider.wsgi", "--bind", f"127.0.0.1:{port}"]
    with errors.open("wb") as stderr:
        server = subprocess.Popen([*command, "--workers", "1", "--no-control-socket"], cwd=ROOT, env=env, stderr=stderr)
    provider = Provider(f"http://127.0.0.1:{port}", directory)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(provider.discovery_url, timeout=20).raise_for_status()
                break
            except requests.RequestException:
                assert server.poll() is None and time.monotonic() < deadline, errors.read_text()
                time.sleep(0.2)
        yield provider
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(autouse=True)
def vigil_uses_the_provider(settings, provider, roles):
    settings.OIDC_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.VIGIL_SSO_GROUP_MAP = GROUP_MAP
    cache.delete(f"oidc-discovery:{provider.discovery_url}")


def start(client) -> str:
    """Vigil's /oidc/authenticate/: the provider's authorization URL it redirects to."""
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    return response["Location"]


def at_provider(provider, username: str, authorization_url: str) -> str:
    """The person signs in at the provider, which sends them back: Vigil's callback path and query."""
    browser = requests.Session()
    browser.get(f"{provider.url}/login-as/{username}/", timeout=20).raise_for_status()
    answer = browser.get(authorization_url, allow_redirects=False, timeout=20)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"].removeprefix("http://testserver")


def sign_in(client, provider, username: str):
    return client.get(at_provider(provider, username, start(client)))


def signed_in_user(client):
    return client.get("/api/v1/me/").json().get("username") if client.get("/api/v1/me/").status_code == 200 else None


def test_it_sends_the_person_to_the_provider_with_state_nonce_and_a_pkce_challenge(client, provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["scope"] == ["openid email profile"]
    assert query["code_challenge_method"] == ["S256"]
    assert all(len(query[name][0]) >= 32 for name in ("state", "nonce", "code_challenge"))


def test_a_first_sign_in_creates_the_person_with_the_mapped_role_and_team(client, provider):
    provider.person("olga", groups=["payments-oncall"])
    response = sign_in(client, provider, "olga")
    assert response.status_code == 302 and response["Location"] == "/"
    olga = get_user_model().objects.get(username="olga")
    assert (olga.email, olga.first_name) == ("olga@example.com", "Olga")
    assert role_of(olga) == Role.RESPONDER
    assert list(olga.teams.values_list("name", flat=True)) == ["Payments"]
    assert client.get("/").status_code == 200
    login = AuditEntry.objects.get(action="auth.login")
    assert (login.actor, login.via) == (olga, "oidc")
    assert AuditEntry.objects.filter(action="user.sso_grant", via="oidc").count() == 1


def test_the_next_sign_in_applies_the_changed_groups(client, provider):
    provider.person("piet", groups=["payments-oncall"])
    sign_in(client, provider, "piet")
    client.logout()
    provider.person("piet", groups=["vigil-admins", "db-oncall"])
    assert sign_in(client, provider, "piet").status_code == 302
    piet = get_user_model().objects.get(username="piet")
    assert role_of(piet) == Role.ADMIN
    assert list(piet.teams.values_list("name", flat=True)) == ["Databases"]
    assert Team.objects.filter(name="Payments").exists() and not piet.teams.filter(name="Payments").exists()


def test_an_existing_account_is_matched_by_its_verified_email(client, provider, responder):
    provider.person("rita-at-idp", email="RITA-responder@Example.com", groups=["vigil-admins"])
    assert sign_in(client, provider, "rita-at-idp").status_code == 302
    assert not get_user_model().objects.filter(username="rita-at-idp").exists()
    assert role_of(get_user_model().objects.get(pk=responder.pk)) == Role.ADMIN


def test_an_unverified_email_is_refused_and_nobody_is_created(client, provider, responder):
    provider.person("mallory", email=responder.email, verified=False)
    response = sign_in(client, provider, "mallory")
    assert response.status_code == 403
    assert "has not verified your email address" in response.content.decode()
    assert signed_in_user(client) is None
    assert role_of(get_user_model().objects.get(pk=responder.pk)) == Role.RESPONDER
    assert AuditEntry.objects.filter(action="auth.login_failed", via="oidc").exists()


def test_someone_with_no_mapped_group_is_refused_with_a_page_saying_why(client, provider):
    provider.person("nobody", groups=["marketing"])
    response = sign_in(client, provider, "nobody")
    assert response.status_code == 403
    assert "Your account has no role in Vigil" in response.content.decode()
    assert not get_user_model().objects.filter(username="nobody").exists()


def test_an_account_whose_groups_were_removed_loses_its_role_and_is_refused(client, provider):
    provider.person("quinn", groups=["payments-oncall"])
    sign_in(client, provider, "quinn")
    client.logout()
    provider.person("quinn", groups=[])
    assert sign_in(client, provider, "quinn").status_code == 403
    assert role_of(get_user_model().objects.get(username="quinn")) is None


def test_a_tampered_state_is_refused(client, provider):
    provider.person("tess")
    callback = at_provider(provider, "tess", start(client))
    response = client.get(callback.replace("state=", "state=x"))
    assert response.status_code == 403
    assert signed_in_user(client) is None


def test_an_id_token_signed_by_another_key_is_refused(client, provider, monkeypatch):
    provider.person("fred")
    exchange = OIDCBackend.get_token

    def forged(self, payload):
        tokens = exchange(self, payload)
        header, claims = (
            jwt.get_unverified_header(tokens["id_token"]),
            jwt.decode(tokens["id_token"], options={"verify_signature": False}),
        )
        claims["email"] = "alice-admin@example.com"
        tokens["id_token"] = jwt.encode(claims, _rsa_pem(), algorithm="RS256", headers={"kid": header["kid"]})
        return tokens

    monkeypatch.setattr(OIDCBackend, "get_token", forged)
    response = sign_in(client, provider, "fred")
    assert response.status_code == 403
    assert "could not be trusted" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_provider_session_is_not_asked_for_vigils_code(client, provider, settings):
    settings.VIGIL_REQUIRE_ADMIN_2FA = True
    provider.person("ada", groups=["vigil-admins"])
    sign_in(client, provider, "ada")
    ada = get_user_model().objects.get(username="ada")
    TOTPDevice.objects.create(user=ada, name="authenticator app", confirmed=True)
    assert client.session[SESSION_PROVIDER] == {"provider": "oidc", "user": ada.pk}
    assert client.get("/").status_code == 200
    assert signed_in_user(client) == "ada"


def test_logout_also_ends_the_provider_session(client, provider):
    provider.person("lena")
    sign_in(client, provider, "lena")
    id_token = client.session["oidc_id_token"]
    response = client.post("/logout/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (
        f"{target.scheme}://{target.netloc}{target.path}"
        == requests.get(provider.discovery_url, timeout=20).json()["end_session_endpoint"]
    )
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert signed_in_user(client) is None
    # The provider accepts the hint and sends the person back to Vigil's login page.
    ended = requests.get(response["Location"], allow_redirects=False, timeout=20)
    assert ended.status_code == 302 and ended.headers["Location"] == "http://testserver/login/"


def test_a_password_logout_stays_in_vigil(client, responder):
    client.force_login(responder)
    assert client.post("/logout/")["Location"] == "/login/"


def test_the_login_page_offers_the_provider(client, settings):
    settings.VIGIL_OIDC_NAME = "Acme SSO"
    page = client.get("/login/").content.decode()
    assert "Sign in with Acme SSO" in page and 'href="/oidc/authenticate/' in page
    assert "break-glass" not in page


def test_break_glass_keeps_passwords_for_the_listed_users_only(client, settings, responder):
    settings.VIGIL_LOCAL_PASSWORDS = "break-glass"
    settings.VIGIL_BREAK_GLASS_USERS = ["root"]
    make_user("root", Role.ADMIN)
    assert "Passwords are for break-glass accounts only" in client.get("/login/").content.decode()
    refused = client.post("/login/", {"username": responder.username, "password": PASSWORD})
    assert refused.status_code == 200 and signed_in_user(client) is None
    accepted = client.post("/login/", {"username": "root", "password": PASSWORD})
    assert accepted.status_code == 302 and signed_in_user(client) == "root"


def test_without_a_discovery_url_there_is_no_provider_sign_in(client, settings):
    settings.OIDC_DISCOVERY_URL = ""
    assert client.get("/oidc/authenticate/").status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()
