"""The privacy policy (vigil.privacy) in templates, decided by the request's user.

{% load privacy %}
{% private stakeholder "email" %}                  the value, or its mask
{% private schedule "ical_url" feed_url %}         a value computed elsewhere, under the field's rule
{% may_see monitor "ping_url" as show_ping %}      for a whole section
"""

from django import template

from vigil import privacy

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def private(context, obj, field: str, value=privacy._MISSING):
    return privacy.shown(_user(context), obj, field, value)


@register.simple_tag(takes_context=True)
def may_see(context, obj, field: str) -> bool:
    return privacy.may_see_field(_user(context), obj, field)
