"""Sessions opened by an identity provider (OpenID Connect, SAML): the provider did the second factor.

Vigil's two-factor middleware (vigil.twofactor) asks no code of a session marked here, and the
audit row of the sign-in says `via=<provider>`. Call mark_signed_in_by_provider() just before
Django's login() (login() keeps the session's data when it renews the key) and again after it if
login() may have flushed the session (another user was signed in): the mark names the user, so a
mark left behind never speaks for anyone else.
"""

from vigil.twofactor.services import SESSION_PROVIDER

__all__ = ["mark_signed_in_by_provider"]


def mark_signed_in_by_provider(request, provider: str, user=None) -> None:
    """USER (default: the request's user) signed in to this session through PROVIDER ("oidc", "saml")."""
    user = user if user is not None else request.user
    request.session[SESSION_PROVIDER] = {"provider": provider, "user": user.pk}
