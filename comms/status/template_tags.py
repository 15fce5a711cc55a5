"""Filters the status page's templates use (a builtin of comms.status.pages' own template engine)."""

from datetime import UTC, datetime

from django import template
from django.utils.html import format_html

from incidents.models import Impact

from .uptime_bars import bars_svg, percent

register = template.Library()

IMPACT_WORDS = {
    Impact.NONE: "No impact",
    Impact.MINOR: "Minor impact",
    Impact.MAJOR: "Major impact",
    Impact.CRITICAL: "Critical impact",
    "maintenance": "Maintenance",
}


@register.filter
def utc(value: datetime | None):
    """A <time> in UTC words; static/status.js shows it in the visitor's own zone when it can."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}">{} {}, {} UTC</time>',
        value.strftime("%Y-%m-%dT%H:%M:%SZ"),
        value.day,
        value.strftime("%b %Y"),
        value.strftime("%H:%M"),
    )


@register.filter
def utcday(value: datetime):
    value = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" data-day>{} {}</time>', value.strftime("%Y-%m-%d"), value.day, value.strftime("%b %Y")
    )


@register.filter
def bars(component):
    return bars_svg(component)


@register.filter(name="percent")
def percent_filter(share):
    return percent(share)


@register.filter
def impact_words(impact: str) -> str:
    return IMPACT_WORDS.get(impact, impact)
