from django.contrib.auth.models import AnonymousUser

from . import services


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
    authenticates them itself, after this. A session opened by an identity provider
    (services.signed_in_by_provider) owes no code: the provider asked for its own second factor.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not services.signed_in_by_provider(request) and services.owes_code(user):
            request.unverified_user = user
            request.user = AnonymousUser()
        return self.get_response(request)
