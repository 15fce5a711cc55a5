"""djangosaml2's assertion consumer, with Vigil's refusal page and the two-factor mark (accounts.saml)."""

from django.shortcuts import render
from djangosaml2.views import AssertionConsumerServiceView

from .sessions import mark_signed_in_by_provider

UNREADABLE = (
    "Vigil could not accept the identity provider's answer (it was unsigned, signed by another key, expired, "
    "or already used). Sign in again from Vigil's login page."
)


class AcsView(AssertionConsumerServiceView):
    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        reason = getattr(request, "saml_refusal", "") or UNREADABLE
        return render(request, "accounts/saml_refused.html", {"reason": reason}, status=status)

    def post_login_hook(self, request, user, session_info) -> None:
        # The IdP asked for its own second factor: Vigil does not ask for a code too.
        mark_signed_in_by_provider(request, "saml")
