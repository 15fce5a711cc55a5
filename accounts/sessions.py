"""Sessions signed in by a company identity provider (OIDC or SAML).

Such a session owes Vigil's two-factor code nothing: the provider asked for its own second factor.
vigil.twofactor's middleware reads the mark; this module is the one place that writes it.
"""

from vigil.twofactor.middleware import SIGNED_IN_BY_PROVIDER


def mark_signed_in_by_provider(request, provider: str) -> None:
    """Call right after django.contrib.auth.login(): PROVIDER ("oidc", "saml") signed this session in."""
    request.session[SIGNED_IN_BY_PROVIDER] = provider


def signed_in_by_provider(request) -> str | None:
    return request.session.get(SIGNED_IN_BY_PROVIDER)
