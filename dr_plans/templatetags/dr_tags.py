from django import template

from dr_plans.rendering import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    """Runbook Markdown, rendered and sanitized (dr_plans.rendering)."""
    return render_markdown(text)


@register.filter
def minutes(delta) -> str:
    """A timedelta as 'H:MM:SS', the precision a drill's timing is read at."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
