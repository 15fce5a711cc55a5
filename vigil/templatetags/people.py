"""{% load people %}{{ user|person }}: a person's name as vigil.people.display_name gives it."""

from django import template

from vigil.people import display_name

register = template.Library()


@register.filter
def person(user) -> str:
    return display_name(user)
