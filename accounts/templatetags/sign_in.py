"""What the login page offers besides a password: {% load sign_in %}{% sign_in_options as options %}."""

from django import template
from django.conf import settings
from django.urls import reverse

from accounts import oidc

register = template.Library()


@register.simple_tag
def sign_in_options() -> dict:
    """The single sign-on buttons (label, URL), and whether passwords are for break-glass users only."""
    doors = []
    if oidc.enabled():
        doors.append((f"Sign in with {settings.VIGIL_OIDC_NAME}", reverse("oidc_authentication_init")))
    return {"doors": doors, "break_glass": settings.VIGIL_LOCAL_PASSWORDS == "break-glass"}
