"""{% load ownership %}{% object_perms obj as operms %}: `perms` for one object, its team considered.

`{% if operms.incidents.change_schedule %}` is true when the user's role or team permission holds
incidents.change_schedule and vigil.ownership lets them use it on OBJ: a button shows only to those
whom the view behind it would not refuse.
"""

from django import template

from vigil import ownership

register = template.Library()


class _AppPerms:
    def __init__(self, user, obj, app_label: str):
        self.user, self.obj, self.app_label = user, obj, app_label

    def __getitem__(self, codename: str) -> bool:
        perm = f"{self.app_label}.{codename}"
        return self.user.has_perm(perm) and ownership.may_change(self.user, self.obj, perm)

    def __iter__(self):  # templates probe for iteration; there is nothing to list
        return iter(())


class ObjectPerms:
    def __init__(self, user, obj):
        self.user, self.obj = user, obj

    def __getitem__(self, app_label: str) -> _AppPerms:
        return _AppPerms(self.user, self.obj, app_label)

    def __iter__(self):
        return iter(())


@register.simple_tag(takes_context=True)
def object_perms(context, obj) -> ObjectPerms:
    return ObjectPerms(context["request"].user, obj)
