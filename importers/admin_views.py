"""The admin page "Import from another tool": a form, its plan, then the import (importers.admin_pending).

Only Vigil's admin role (superusers hold it) may import: an import creates objects of every kind.
Anonymous visitors go to the admin's login page; anyone else signed in gets 403.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from vigil.audit import Actor
from vigil.roles import Role, role_of

from .admin_form import ImportForm
from .admin_pending import Outcome, do_apply, do_plan

TEMPLATE = "admin/importers/import_form.html"


def admin_role_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if role_of(request.user) != Role.ADMIN:
            raise PermissionDenied("Only an admin may import from another tool.")
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def import_view(request, admin_context: dict):
    form = ImportForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        uploads = form.uploads()
        outcome = do_plan(request.session, form.cleaned_data["source"], form.options(), uploads)
    return render(request, admin_context, form, outcome, step="plan")


@require_http_methods(["POST"])
def apply_view(request, admin_context: dict):
    actor = Actor.from_request(request, via="import")
    outcome = do_apply(request.session, request.POST.get("pending", ""), actor)
    return render(request, admin_context, ImportForm(), outcome, step="result")


def render(request, admin_context: dict, form: ImportForm, outcome: Outcome | None, step: str):
    context = {**admin_context, "title": "Import from another tool", "form": form, "outcome": outcome, "step": step}
    return TemplateResponse(
        request, TEMPLATE, context, status=400 if form.errors or (outcome and outcome.error) else 200
    )
