"""The reputation dashboard: the mentions feed with its charts, the needs-response queue, a
mention's page, manual entry, sources and brands. Every change goes through services, as the
API's does."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from vigil.access import permission_required
from vigil.audit import Actor

from . import charts, feeds, services, stats
from .forms import BrandForm, LinkForm, MentionFilterForm, MentionForm, SourceForm, StateForm
from .models import Brand, Mention, MentionSource, MentionState

VIEW = "reputation.view_mention"
ADD = "reputation.add_mention"
# Answering, ignoring and linking: responders hold change_mention (reputation.apps).
WORK = "reputation.change_mention"
VIEW_SOURCES = "reputation.view_mentionsource"
ADD_SOURCE = "reputation.add_mentionsource"
CHANGE_SOURCE = "reputation.change_mentionsource"
DELETE_SOURCE = "reputation.delete_mentionsource"
VIEW_BRANDS = "reputation.view_brand"
ADD_BRAND = "reputation.add_brand"
CHANGE_BRAND = "reputation.change_brand"
DELETE_BRAND = "reputation.delete_brand"

PAGE_SIZE = 50
RANGES = {"1": 1, "7": 7, "30": 30}


def _mentions():
    return Mention.objects.select_related("brand", "source", "incident", "responded_by")


def _back(request, fallback):
    """Where a form asked to return (next=), if it is on this site; else FALLBACK."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@permission_required(VIEW)
def feed(request):
    """Mentions with filters, newest first, and volume and sentiment per brand over time."""
    filters = MentionFilterForm(request.GET)
    page = Paginator(filters.filter(_mentions()), PAGE_SIZE).get_page(request.GET.get("page"))
    days = RANGES.get(request.GET.get("days", "7"), 7)
    comparison = stats.compare_brands(days)
    context = {
        "filters": filters,
        "page": page,
        "days": days,
        "ranges": RANGES,
        "comparison": comparison,
        "volume_chart": charts.volume_chart(comparison),
        "sentiment_chart": charts.sentiment_chart(comparison),
        "waiting": Mention.objects.filter(state=MentionState.NEEDS_RESPONSE).count(),
        "state_form": StateForm(),
    }
    return render(request, "reputation/feed.html", context)


@permission_required(VIEW)
def queue(request):
    """The needs-response queue for the communications lead: oldest first, answered in place."""
    mentions = _mentions().filter(state=MentionState.NEEDS_RESPONSE).order_by("published_at", "id")
    incident = request.GET.get("incident", "")
    if incident.isdigit():
        mentions = mentions.filter(incident_id=int(incident))
    page = Paginator(mentions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "reputation/queue.html", {"page": page, "incident": incident, "next": request.get_full_path()}
    )


@permission_required(VIEW)
def detail(request, pk: int, state_form=None, link_form=None, status: int = 200):
    mention = get_object_or_404(_mentions(), pk=pk)
    context = {
        "mention": mention,
        "state_form": state_form or StateForm(initial={"response": mention.response}),
        "link_form": link_form or LinkForm(initial={"incident": mention.incident_id}),
        "next": mention.get_absolute_url(),
    }
    return render(request, "reputation/detail.html", context, status=status)


@require_POST
@permission_required(WORK)
def change_state(request, pk: int):
    mention = get_object_or_404(Mention, pk=pk)
    form = StateForm(request.POST)
    if not form.is_valid():
        return detail(request, pk, state_form=form, status=400)
    try:
        services.do_change_state(
            Actor.from_request(request), mention, form.cleaned_data["state"], form.cleaned_data["response"]
        )
        messages.success(request, f"Marked {MentionState(form.cleaned_data['state']).label.lower()}.")
    except services.ActionError as exc:
        messages.error(request, str(exc))
    return _back(request, mention)


@require_POST
@permission_required(WORK)
def link(request, pk: int):
    mention = get_object_or_404(Mention, pk=pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return detail(request, pk, link_form=form, status=400)
    incident = form.cleaned_data["incident"]
    services.do_link(Actor.from_request(request), mention, incident)
    messages.success(request, f"Linked to {incident}." if incident else "Unlinked.")
    return _back(request, mention)


@permission_required(ADD)
def create(request):
    form = MentionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mention = services.do_add_mention(Actor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Recorded: {mention.get_label_display().lower()} ({mention.sentiment:+.2f}).")
            return redirect(mention)
    return render(request, "reputation/form.html", {"form": form}, status=400 if form.errors else 200)


# --- Sources ---------------------------------------------------------------------------------


def _sources_page(request, form=None, status: int = 200):
    if form is None and request.user.has_perm(ADD_SOURCE):
        form = SourceForm()
    rows = MentionSource.objects.select_related("brand").annotate(count=Count("mentions"))
    return render(request, "reputation/sources.html", {"sources": rows, "form": form}, status=status)


@permission_required(VIEW_SOURCES)
def sources(request):
    return _sources_page(request)


@require_POST
@permission_required(ADD_SOURCE)
def source_create(request):
    form = SourceForm(request.POST)
    if form.is_valid():
        try:
            source = services.do_create_source(Actor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Created {source.name}.")
            return redirect(source)
    return _sources_page(request, form, status=400)


def _source_page(request, source: MentionSource, form=None, status: int = 200):
    can_change = request.user.has_perm(CHANGE_SOURCE)
    if form is None and can_change:
        form = SourceForm(instance=source)
    context = {"source": source, "form": form, "recent": source.mentions.select_related("brand")[:20]}
    return render(request, "reputation/source.html", context, status=status)


@permission_required(VIEW_SOURCES)
def source_detail(request, pk: int):
    return _source_page(request, get_object_or_404(MentionSource.objects.select_related("brand"), pk=pk))


@require_POST
@permission_required(CHANGE_SOURCE)
def source_edit(request, pk: int):
    source = get_object_or_404(MentionSource, pk=pk)
    form = SourceForm(request.POST, instance=MentionSource.objects.get(pk=pk))  # validation writes on its instance
    if form.is_valid():
        try:
            services.do_update_source(Actor.from_request(request), source, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(source)
    return _source_page(request, source, form, status=400)


@require_POST
@permission_required(CHANGE_SOURCE)
def rotate_secret(request, pk: int):
    source = get_object_or_404(MentionSource, pk=pk)
    services.do_rotate_secret(Actor.from_request(request), source)
    messages.success(request, "New secret made; the old one no longer works.")
    return redirect(source)


@require_POST
@permission_required(CHANGE_SOURCE)
def poll_now(request, pk: int):
    source = get_object_or_404(MentionSource, pk=pk, kind=MentionSource.Kind.FEED)
    report = feeds.do_poll_now(source)
    source.refresh_from_db()
    if report.failed:
        messages.error(request, f"The poll failed: {source.last_error}")
    else:
        messages.success(request, f"Polled: {source.get_last_status_display().lower()}, {report.mentions.created} new.")
    return redirect(source)


@require_POST
@permission_required(DELETE_SOURCE)
def source_delete(request, pk: int):
    source = get_object_or_404(MentionSource, pk=pk)
    services.do_delete_source(Actor.from_request(request), source)
    messages.success(request, f"Deleted {source.name}; its mentions stay.")
    return redirect("reputation:sources")


# --- Brands ----------------------------------------------------------------------------------


def _brands_page(request, form=None, status: int = 200):
    if form is None and request.user.has_perm(ADD_BRAND):
        form = BrandForm()
    rows = Brand.objects.annotate(count=Count("mentions", distinct=True), sources_count=Count("sources", distinct=True))
    context = {"brands": rows, "form": form, "can_change": request.user.has_perm(CHANGE_BRAND)}
    return render(request, "reputation/brands.html", context, status=status)


@permission_required(VIEW_BRANDS)
def brands(request):
    return _brands_page(request)


@require_POST
@permission_required(ADD_BRAND)
def brand_create(request):
    form = BrandForm(request.POST)
    if form.is_valid():
        try:
            brand = services.do_create_brand(Actor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Added {brand.name}.")
            return redirect("reputation:brands")
    return _brands_page(request, form, status=400)


@require_POST
@permission_required(CHANGE_BRAND)
def brand_edit(request, pk: int):
    brand = get_object_or_404(Brand, pk=pk)
    form = BrandForm(request.POST, instance=Brand.objects.get(pk=pk))
    if form.is_valid():
        try:
            services.do_update_brand(Actor.from_request(request), brand, **form.cleaned_data)
            messages.success(request, "Saved.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("reputation:brands")


@require_POST
@permission_required(DELETE_BRAND)
def brand_delete(request, pk: int):
    brand = get_object_or_404(Brand, pk=pk)
    services.do_delete_brand(Actor.from_request(request), brand)
    messages.success(request, f"Deleted {brand.name}; its mentions and sources stay, untagged.")
    return redirect("reputation:brands")
