from django import template

register = template.Library()


@register.filter
def overdue(item, today) -> bool:
    """{% if item|overdue:today %}: past its due date and not closed."""
    return item.is_overdue(today)
