"""{% load managed %}: what the pages say about objects the configuration files manage (vigil.managed).

- `{% managed_by_config obj as managed %}`: a Managed (`managed.label` "monitors.checkout-api",
  `managed.message`, `managed.refused`) or None; one query, none after a list was marked.
- `{% mark_managed_by_config objects %}` before a list's loop: one query for the whole list, so each
  row's `managed_by_config` costs none. Items may be objects or tuples whose first item is the object;
  `{% mark_managed_by_config outlooks "schedule" %}` marks each item's `schedule`.
- `{% include "_managed_by_config.html" with obj=monitor %}`: the banner of a detail or form page;
  `with obj=schedule part="incidents.rotation"` on a part's page (a new layer of the schedule).
"""

from django import template
from django.apps import apps

from vigil import managed as rule

register = template.Library()


@register.simple_tag
def managed_by_config(obj, part: str = "") -> rule.Managed | None:
    """PART ("incidents.rotation"): OBJ's marking only if the files write such parts with it (a new
    layer's page asks about its schedule)."""
    if part and rule.part_of(apps.get_model(part)) is not type(obj):
        return None
    return rule.managed(obj)


@register.simple_tag
def mark_managed_by_config(objects, attribute: str = "") -> str:
    def obj(item):
        item = item[0] if isinstance(item, tuple | list) else item
        return getattr(item, attribute) if attribute else item

    rule.mark(obj(item) for item in objects)
    return ""
