"""{% status_setup_form as form %}: the first admin's setup step (comms.status.setup) in templates/base.html."""

from django import template

from comms.models import StatusPageBranding
from comms.status.forms import SetupForm

register = template.Library()


@register.simple_tag
def status_setup_form() -> SetupForm:
    """Asked for only while the session carries the setup mark: one query, on those pages only."""
    return SetupForm(instance=StatusPageBranding.current())
