"""mozilla-django-oidc's views, with the provider's endpoints from discovery (accounts.oidc), a page
that says why a sign-in was refused, the session marked as signed in by the provider (no TOTP), and
Vigil's /logout/ that ends the provider's session too."""

import logging

import requests
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from mozilla_django_oidc import views as oidc_views

from vigil.audit import Actor, client_ip, record

from . import oidc
from .sessions import mark_signed_in_by_provider

log = logging.getLogger(__name__)


def refused(request, reason: str):
    """The sign-in was refused: say why, and audit it."""
    record(Actor(ip=client_ip(request), via="oidc"), "auth.login_failed", reason=reason[:300])
    return render(request, "accounts/sign_in_refused.html", {"reason": reason}, status=403)


class AuthenticateView(oidc_views.OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/: off to the provider with state, nonce and a PKCE challenge."""

    def __init__(self, *args, **kwargs):
        # Not the library's __init__: it reads OIDC_OP_AUTHORIZATION_ENDPOINT from the settings.
        oidc_views.View.__init__(self, *args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        if not oidc.enabled():
            raise Http404("OpenID Connect sign-in is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.discovery()["authorization_endpoint"]
        except (requests.RequestException, ValueError, SuspiciousOperation) as exc:
            log.warning("OpenID Connect discovery failed: %s", exc)
            return refused(request, "The identity provider cannot be reached just now: try again in a minute.")
        return super().get(request)


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """GET /oidc/callback/: the code is exchanged and checked (accounts.oidc.OIDCBackend)."""

    def get(self, request):
        if not oidc.enabled():
            raise Http404("OpenID Connect sign-in is not set up.")
        if "state" in request.GET and request.GET["state"] not in request.session.get("oidc_states", {}):
            return refused(request, "This sign-in is not the one Vigil started (or was already used): sign in again.")
        try:
            return super().get(request)
        except oidc.SignInRefused as exc:
            return refused(request, str(exc))
        except (SuspiciousOperation, requests.RequestException, ValueError) as exc:
            log.warning("OpenID Connect sign-in refused: %s", exc)
            return refused(request, "The identity provider's answer could not be trusted: you are not signed in.")

    def login_failure(self):
        error = self.request.GET.get("error_description") or self.request.GET.get("error")
        return refused(self.request, f"The identity provider did not sign you in{f': {error}' if error else ''}.")

    def login_success(self):
        # Marked before login() so the audit row says via=oidc, and after it in case login() flushed
        # the session (someone else was signed in in this browser).
        mark_signed_in_by_provider(self.request, "oidc", self.user)
        response = super().login_success()
        mark_signed_in_by_provider(self.request, "oidc", self.user)
        return response


class LogoutView(auth_views.LogoutView):
    """POST /logout/: out of Vigil, then out of the provider when it signed this session in and
    supports RP-initiated logout (its end_session_endpoint, with id_token_hint)."""

    def post(self, request, *args, **kwargs):
        try:
            target = oidc.end_session_url(request)
        except (requests.RequestException, ValueError, SuspiciousOperation):
            target = None  # the provider is down: log out of Vigil at least
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(target) if target else response
