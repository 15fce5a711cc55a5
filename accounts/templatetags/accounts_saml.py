from django import template
from django.conf import settings

from accounts.saml import is_configured

register = template.Library()


@register.inclusion_tag("registration/_saml_link.html")
def saml_sign_in(next_url: str = ""):
    """The login page's "Sign in with ..." link, when SAML single sign-on is configured."""
    return {"configured": is_configured(), "name": settings.VIGIL_SAML_NAME, "next": next_url}
