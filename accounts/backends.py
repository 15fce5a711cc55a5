"""Passwords, and the rule that can keep them for the break-glass users only (VIGIL_LOCAL_PASSWORDS)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from vigil.people import is_service_account


def may_use_password(username: str | None) -> bool:
    """With VIGIL_LOCAL_PASSWORDS=break-glass, only VIGIL_BREAK_GLASS_USERS sign in with a password
    (for when the identity provider is down); everyone else signs in through the provider."""
    return settings.VIGIL_LOCAL_PASSWORDS == "on" or username in settings.VIGIL_BREAK_GLASS_USERS


class LocalPasswordBackend(ModelBackend):
    """Django's ModelBackend with the break-glass rule. A refused password counts as a failed try
    (django-axes), so guessing which usernames are break-glass ones is throttled like any guess."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not may_use_password(username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        # A service key's account has no password; should someone give it one (Django's admin), it still
        # cannot sign in: it acts only through its key. (Checked here, at sign-in, not in
        # user_can_authenticate, which every request of every session would pay a query for.)
        return None if is_service_account(user) else user
