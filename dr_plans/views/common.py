from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import render, resolve_url

from vigil.audit import Actor

from .. import services


def act(request, action, *args, success: str = "", **kwargs):
    """Run one service ACTION as the requesting user.

    A move the object's state does not allow (ActionError) becomes an error message and
    None; a rule finer than the model permission (PermissionDenied) becomes a 403.
    """
    try:
        result = action(Actor.from_request(request), *args, **kwargs)
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return None
    except services.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    if success:
        messages.success(request, success)
    return result


def form_page(request, form, title: str, *, back: str, intro: str = "", plan=None):
    """The one page every add/edit form uses; a form sent back with errors answers 400. PLAN: the plan
    the form edits (itself, a step, a call-tree level), whose page says when config manages it."""
    context = {"form": form, "title": title, "back": resolve_url(back), "intro": intro, "plan": plan}
    return render(request, "dr_plans/form.html", context, status=400 if form.is_bound and form.errors else 200)


def sections(steps, section=lambda s: s.section) -> list[tuple[str, list[tuple[int, object]]]]:
    """Steps grouped by neighbouring section, each numbered across the whole plan: [(section, [(n, step)])]."""
    numbered = list(enumerate(steps, start=1))
    return [(name, list(group)) for name, group in groupby(numbered, key=lambda pair: section(pair[1]))]
