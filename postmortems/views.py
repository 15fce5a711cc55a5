from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone

from vigil.access import permission_required
from vigil.audit import Actor

from . import services
from .forms import ActionItemForm
from .models import ActionItem, PostMortem
from .reports import incident_figures


@permission_required("postmortems.view_postmortem")
def postmortem_list(request):
    return render(request, "postmortems/list.html", {"postmortems": PostMortem.objects.select_related("incident")})


@permission_required("incidents.view_incident")
def reports(request):
    return render(request, "postmortems/reports.html", {"figures": incident_figures()})


ITEM_FILTERS = {"open": ["open", "in_progress"], "closed": ["done", "wont_do"]}


@permission_required("postmortems.view_actionitem")
def action_item_list(request):
    """Open and in-progress items (?show=closed or ?show=all for the rest), soonest due first."""
    show = request.GET.get("show", "open")
    items = ActionItem.objects.select_related("owner", "postmortem").prefetch_related("source", "target")
    if show in ITEM_FILTERS:
        items = items.filter(status__in=ITEM_FILTERS[show])
    context = {"items": items, "show": show, "today": timezone.localdate()}
    return render(request, "postmortems/action_items.html", context)


def _access_item(pk: int) -> ActionItem:
    return get_object_or_404(ActionItem.objects.select_related("owner", "postmortem", "created_by"), pk=pk)


@permission_required("postmortems.view_actionitem")
def action_item_detail(request, pk: int):
    item = _access_item(pk)
    return render(request, "postmortems/action_item.html", {"item": item, "today": timezone.localdate()})


def _form_page(request, form, title: str, back: str):
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "postmortems/action_item_form.html",
        {"form": form, "title": title, "back": resolve_url(back)},
        status=status,
    )


def _run(request, form, action, *args):
    """Call ACTION with the form's data; a refused move becomes a form error (None)."""
    try:
        return action(Actor.from_request(request), *args, **form.cleaned_data)
    except services.ActionError as exc:
        form.add_error(None, str(exc))
        return None


@permission_required("postmortems.add_actionitem")
def action_item_create(request):
    form = ActionItemForm(request.POST or None, initial={"postmortem": request.GET.get("postmortem")})
    if request.method == "POST" and form.is_valid():
        item = _run(request, form, services.do_create_action_item)
        if item:
            messages.success(request, "Action item added.")
            return redirect(item)
    return _form_page(request, form, "New action item", "postmortems:action_items")


@permission_required("postmortems.change_actionitem")
def action_item_edit(request, pk: int):
    item = _access_item(pk)
    form = ActionItemForm(request.POST or None, instance=item)
    # The service re-reads the stored row (validation wrote the form's values onto ITEM).
    if request.method == "POST" and form.is_valid() and _run(request, form, services.do_update_action_item, item):
        messages.success(request, "Action item saved.")
        return redirect(item)
    return _form_page(request, form, f"Edit: {item}", item.get_absolute_url())
