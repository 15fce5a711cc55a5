from django import template
from django.utils.dateparse import parse_datetime

from vigil.markdown import render_markdown

from ..drafting import format_seconds

register = template.Library()


@register.filter
def markdown(text: str):
    """A written section, rendered and sanitized (vigil.markdown)."""
    return render_markdown(text)


@register.filter
def duration(seconds) -> str:
    return format_seconds(seconds)


@register.filter
def isotime(value):
    """A time stored as ISO text in PostMortem.impact, as a datetime for |date (None if absent)."""
    return parse_datetime(value) if value else None
