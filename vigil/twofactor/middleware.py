from django.contrib.auth.models import AnonymousUser

from . import services

# Set (to the provider's name) by accounts.sessions when a company identity provider signed this session
# in: the provider asked for its own second factor, so Vigil does not ask for a code too. Only server code
# writes a session, and logging in anew (django.contrib.auth.login) starts a fresh one for another user.
SIGNED_IN_BY_PROVIDER = "accounts.provider"


class TwoFactorMiddleware:
    """A session that owes a code is anonymous to everything after this middleware.

    Installed after django-otp's OTPMiddleware (which marks a session verified). A signed-in user
    whose session is not verified but must be (services.owes_code: they have a device, or they are
    an admin while VIGIL_REQUIRE_ADMIN_2FA is on) reaches every view, the API's session
    authentication and Django's admin as an anonymous visitor: safe by default, whatever the
    view. The user is kept on the request as `unverified_user` for the pages that finish signing
    in (the login view sends such a visitor on to the code or enrolment page). Such a session only
    arises from a session made before two-factor was required, or by Django's own login(); the
    login view itself never logs in a user who owes a code. API keys are unaffected: DRF
    authenticates them itself, after this. A session signed in by a company identity provider
    (SIGNED_IN_BY_PROVIDER) owes no code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.session.get(SIGNED_IN_BY_PROVIDER) and services.owes_code(user):
            request.unverified_user = user
            request.user = AnonymousUser()
        return self.get_response(request)
