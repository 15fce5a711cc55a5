from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.views.decorators.http import require_POST

from incidents.models import Incident
from vigil.access import permission_required
from vigil.audit import Actor

from . import export, services
from .forms import ActionItemForm, PostMortemForm, PublishForm, ReviewersForm, TimelineFormSet
from .models import ActionItem, PostMortem
from .reports import TABLE_KEYS, Period, PeriodError, build, charts


@permission_required("postmortems.view_postmortem")
def postmortem_list(request):
    return render(request, "postmortems/list.html", {"postmortems": PostMortem.objects.select_related("incident")})


@permission_required("incidents.view_incident")
def reports(request):
    """The reports for ?days= or ?from=&to=; ?format=csv&table=KEY downloads one table."""
    try:
        period, error = Period.from_query(request.GET), ""
    except PeriodError as problem:
        period, error = Period.last(90), str(problem)
    if request.GET.get("format") == "csv":
        return _report_csv(request, period, error)
    report = build(period)
    context = {
        "report": report,
        "error": error,
        "query": urlencode(period.as_query()),
        "charts": {
            "monthly": charts.durations_chart(report["monthly"]),
            "severity": charts.severity_chart(report["severity"]),
            "uptime": charts.uptime_chart(report["uptime"]),
        },
    }
    return render(request, "postmortems/reports.html", context, status=400 if error else 200)


def _report_csv(request, period, error):
    key = request.GET.get("table", "")
    if error or key not in TABLE_KEYS:
        return HttpResponse(
            error or f"table must be one of {', '.join(TABLE_KEYS)}", status=400, content_type="text/plain"
        )
    table = build(period, only=[key])[key]
    name = f"vigil-{key}-{period.first_day}-{period.last_day}.csv"
    return HttpResponse(
        table.as_csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ITEM_FILTERS = {"open": ["open", "in_progress"], "closed": ["done", "wont_do"]}


@permission_required("postmortems.view_actionitem")
def action_item_list(request):
    """Open and in-progress items (?show=overdue, closed or all for others), soonest due first."""
    show = request.GET.get("show", "open")
    today = timezone.localdate()
    items = ActionItem.objects.select_related("owner", "postmortem").prefetch_related("source", "target")
    if show == "overdue":
        items = items.overdue(today)
    elif show in ITEM_FILTERS:
        items = items.filter(status__in=ITEM_FILTERS[show])
    overdue_count = ActionItem.objects.overdue(today).count()
    context = {"items": items, "show": show, "today": today, "overdue_count": overdue_count}
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


# --- Post-mortems -------------------------------------------------------------------------------


def _access_postmortem(pk: int) -> PostMortem:
    postmortems = PostMortem.objects.select_related("incident", "incident__commander", "author")
    postmortem = get_object_or_404(postmortems.prefetch_related("timeline", "reviews__reviewer"), pk=pk)
    return services.refresh_impact(postmortem)  # a draft's figures follow the record until published


def _detail_context(request, postmortem: PostMortem) -> dict:
    reviews = list(postmortem.reviews.all())
    return {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "reviews": reviews,
        "my_review": next((r for r in reviews if r.reviewer_id == request.user.pk), None),
        "may_publish": services.may_publish(request.user, postmortem),
        "reviewers_form": ReviewersForm(initial={"reviewers": [r.reviewer_id for r in reviews]}),
        "publish_form": PublishForm(initial={"public_summary": postmortem.public_summary}),
        "action_items": postmortem.action_items.select_related("owner"),
        "today": timezone.localdate(),
    }


@permission_required("postmortems.view_postmortem")
def postmortem_detail(request, pk: int):
    postmortem = _access_postmortem(pk)
    return render(request, "postmortems/detail.html", _detail_context(request, postmortem))


@permission_required("postmortems.view_postmortem")
def postmortem_print(request, pk: int):
    """A clean page to print or save as PDF: no navigation, no forms."""
    return render(request, "postmortems/print.html", _detail_context(request, _access_postmortem(pk)))


@permission_required("postmortems.view_postmortem")
def postmortem_markdown(request, pk: int):
    postmortem = _access_postmortem(pk)
    response = HttpResponse(export.postmortem_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(postmortem)}"'
    return response


@require_POST
@permission_required("postmortems.add_postmortem")
def postmortem_draft(request, incident_pk: int):
    """Draft the incident's post-mortem from its record (or open the one it has)."""
    incident = get_object_or_404(Incident, pk=incident_pk)
    postmortem = services.do_draft_postmortem(Actor.from_request(request), incident)
    return redirect(postmortem)


def _edit_page(request, template: str, postmortem: PostMortem, form):
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"postmortem": postmortem, "form": form}, status=status)


def _refused(request, exc: services.ActionError):
    messages.error(request, str(exc))


@permission_required("postmortems.change_postmortem")
def postmortem_edit(request, pk: int):
    postmortem = _access_postmortem(pk)
    form = PostMortemForm(request.POST or None, instance=postmortem)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_postmortem(Actor.from_request(request), postmortem, **form.changes())
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Post-mortem saved.")
            return redirect(postmortem)
    return _edit_page(request, "postmortems/edit.html", postmortem, form)


@permission_required("postmortems.change_postmortem")
def postmortem_timeline(request, pk: int):
    postmortem = _access_postmortem(pk)
    formset = TimelineFormSet(request.POST or None, instance=postmortem)
    if request.method == "POST" and formset.is_valid():
        try:
            services.do_save_timeline(Actor.from_request(request), postmortem, formset)
        except services.ActionError as exc:
            formset.non_form_errors().append(str(exc))
        else:
            messages.success(request, "Timeline saved.")
            return redirect(postmortem)
    return _edit_page(request, "postmortems/timeline.html", postmortem, formset)


def _workflow(request, pk: int, action, *args, done: str):
    """Run a workflow ACTION on the post-mortem; a refused move is shown as a message."""
    postmortem = _access_postmortem(pk)
    try:
        action(Actor.from_request(request), postmortem, *args)
    except services.ActionError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return redirect(postmortem)


@require_POST
@permission_required("postmortems.change_postmortem")
def postmortem_reviewers(request, pk: int):
    form = ReviewersForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose reviewers among the active users.")
        return redirect("postmortems:detail", pk)
    return _workflow(request, pk, services.do_set_reviewers, form.cleaned_data["reviewers"], done="Reviewers saved.")


@require_POST
@permission_required("postmortems.change_postmortem")
def postmortem_submit(request, pk: int):
    return _workflow(request, pk, services.do_submit_for_review, done="Sent for review.")


@require_POST
@permission_required("postmortems.change_postmortem")
def postmortem_return_to_draft(request, pk: int):
    return _workflow(request, pk, services.do_return_to_draft, done="Back to draft.")


@require_POST
@permission_required("postmortems.change_postmortem")
def postmortem_sign_off(request, pk: int):
    return _workflow(request, pk, services.do_sign_off, done="Signed off.")


@require_POST
@permission_required("postmortems.change_postmortem")
def postmortem_publish(request, pk: int):
    """Admins and the incident commander only: do_publish refuses anyone else (403)."""
    form = PublishForm(request.POST)
    summary = form.cleaned_data["public_summary"] if form.is_valid() else ""
    return _workflow(request, pk, services.do_publish, summary, done="Published.")
