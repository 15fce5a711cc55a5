"""OpenID Connect sign-in (issue #20), on mozilla-django-oidc.

The provider is named by one URL, OIDC_DISCOVERY_URL: its `.well-known/openid-configuration` is read
at the first sign-in and cached for DISCOVERY_TTL, never at start-up (Vigil starts while the provider
is down), and gives the authorization, token, userinfo, JWKS and end-session endpoints that
mozilla-django-oidc otherwise wants as OIDC_OP_* settings.

What a sign-in checks, in order: the state (the callback view, against the session), PKCE (the
provider, against the code verifier sent with the code), the ID token's signature (the provider's
JWKS), its nonce, issuer and audience (here: the library checks neither), then the person: an email
the provider says is verified, one Vigil account at most with that email, and a role from their groups.
A refusal raises SignInRefused, whose message the callback shows on a page.

Requests to the provider go through `requests`, as mozilla-django-oidc's own do, not vigil.http: the
provider is set by the operator, not by a user, and often sits on the internal network that
vigil.http's address rule refuses.
"""

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from django.utils.http import urlencode
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from vigil.audit import Actor, client_ip, record

from .mapping import do_apply_grant, grant_for
from .people import unique_username

DISCOVERY_TTL = 3600
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key, not a secret); mozilla-django-oidc's key (OIDC_STORE_ID_TOKEN)


class SignInRefused(Exception):
    """The provider vouched for someone Vigil will not let in; the message says why, for them."""


def enabled() -> bool:
    return bool(settings.OIDC_DISCOVERY_URL and settings.OIDC_RP_CLIENT_ID)


def discovery() -> dict:
    """The provider's configuration document, cached (a failed fetch is not cached)."""
    key = f"oidc-discovery:{settings.OIDC_DISCOVERY_URL}"
    document = cache.get(key)
    if document is None:
        response = requests.get(settings.OIDC_DISCOVERY_URL, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        missing = {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"} - set(document)
        if missing:
            raise SuspiciousOperation(f"The OpenID configuration lacks {', '.join(sorted(missing))}.")
        cache.set(key, document, DISCOVERY_TTL)
    return document


def end_session_url(request) -> str | None:
    """The provider's end_session_endpoint for this session (RP-initiated logout), when the provider
    has one and signed this session in; None otherwise. Read before the session is flushed."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not (enabled() and id_token):
        return None
    endpoint = discovery().get("end_session_endpoint")
    if not endpoint:
        return None
    back = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    query = {"id_token_hint": id_token, "post_logout_redirect_uri": back, "client_id": settings.OIDC_RP_CLIENT_ID}
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def provider_logout_url(request) -> str:
    """OIDC_OP_LOGOUT_URL_METHOD (mozilla-django-oidc's /oidc/logout/): the provider's logout, else the login page."""
    return end_session_url(request) or reverse(settings.LOGOUT_REDIRECT_URL)


def _is_true(value) -> bool:
    # Some providers send "true" as a string (AWS Cognito, older ADFS).
    return value is True or (isinstance(value, str) and value.lower() == "true")


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the endpoints from discovery, the issuer and audience checked,
    and Vigil's rules for who gets in (module docstring)."""

    def __init__(self, *args, **kwargs):
        # Not the library's __init__: it reads OIDC_OP_* settings. This backend is also built for
        # every request of a signed-in user (get_user), so nothing here may reach the network.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: discovery()["token_endpoint"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: discovery().get("userinfo_endpoint"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: discovery()["jwks_uri"])

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce; a password form posted to a URL carrying ?code=
        # must not start an exchange whose state nobody checked.
        if not enabled() or "nonce" not in kwargs or "username" in kwargs or "password" in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id):
        # The library's get_user lets an inactive user's session live on; Django's does not.
        return ModelBackend.get_user(self, user_id)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (a signed userinfo answer has no nonce, iss or aud rules)
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if payload.get("iss") != discovery()["issuer"] or self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("The ID token was issued by another provider or for another client.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's (which win: they are fresher)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub", payload.get("sub")) != payload.get("sub"):
                raise SuspiciousOperation("The userinfo answer is about someone else.")
            claims.update(userinfo)
        return claims

    def verify_claims(self, claims):
        if not claims.get("email"):
            raise SignInRefused(
                "Your account at the identity provider has no email address: Vigil cannot tell who you are."
            )
        if not _is_true(claims.get("email_verified")):
            raise SignInRefused(
                f"The identity provider has not verified your email address ({claims['email']}): "
                "verify it there, then sign in again."
            )
        return True

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        self.verify_claims(claims)
        users = list(self.filter_users_by_claims(claims)[:2])
        if len(users) > 1:
            raise SignInRefused(f"Several Vigil accounts have the email {claims['email']}: ask an admin to keep one.")
        grant = grant_for(_groups(claims))
        if grant.role is None and not users:
            raise SignInRefused(_no_role_message())
        user = users[0] if users else self.create_user(claims)
        if not user.is_active:
            raise SignInRefused("Your Vigil account is deactivated: ask an admin.")
        self.update_user(user, claims)
        do_apply_grant(Actor(user=user, ip=client_ip(self.request), via="oidc"), user, grant)
        if grant.role is None and not user.is_superuser:
            raise SignInRefused(_no_role_message())
        return user

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self.get_username(claims), email=claims["email"])
        record(Actor(user=user, ip=client_ip(self.request), via="oidc"), "user.create", user, source="oidc")
        return user

    def get_username(self, claims):
        """preferred_username, else the email, made a valid and unused Django username."""
        return unique_username(claims.get("preferred_username") or claims["email"])

    def update_user(self, user, claims):
        fields = {"first_name": claims.get("given_name"), "last_name": claims.get("family_name")}
        changed = [f for f, v in fields.items() if v and getattr(user, f) != v[:150]]
        for f in changed:
            setattr(user, f, fields[f][:150])
        if changed:
            user.save(update_fields=changed)
        return user


def _groups(claims) -> list[str]:
    groups = claims.get(settings.VIGIL_SSO_GROUPS_CLAIM) or []
    return [groups] if isinstance(groups, str) else [str(g) for g in groups]


def _no_role_message() -> str:
    return (
        "Your account has no role in Vigil: ask an administrator of your identity provider to add you to one "
        "of the groups that Vigil maps to a role, then sign in again."
    )
