"""The on-call pages: who is on now, a schedule's timeline and next two weeks, overrides, swaps,
feeds, and (for admins) editing schedules and their layers."""

from copy import copy
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.models import Override, Rotation, Schedule, SwapRequest
from vigil import ownership
from vigil.access import permission_required
from vigil.audit import Actor
from vigil.people import display_name

from . import ical, reachability, services, timeline
from .forms import (
    ROTATION_FIELDS,
    MemberFormSet,
    OverrideForm,
    RotationForm,
    ScheduleForm,
    SwapRequestForm,
    member_initial,
    people_for,
)
from .schedule import OUTLOOK_HORIZONS, SchedulePlan, load_plan, load_plans, outlook, shifts_of

PAGE_DAYS = 14


def _pending_swaps(**filters):
    swaps = SwapRequest.objects.filter(status=SwapRequest.Status.PENDING, ends_at__gt=timezone.now(), **filters)
    return swaps.select_related("schedule", "requester", "covering_user").order_by("starts_at")


@permission_required("incidents.view_schedule")
def index(request):
    """Who is on call now on every schedule, the next hand-offs, and the viewer's own shifts and requests."""
    now = timezone.now()
    schedules = list(Schedule.objects.select_related("team"))
    plans = load_plans(schedules, now, now + OUTLOOK_HORIZONS[-1])
    # The outlooks follow the team choice; the viewer's own shifts come from every schedule.
    shown, team_scope = ownership.list_scope(request, Schedule.objects.all())
    shown = set(shown.values_list("pk", flat=True))
    context = {
        "team_scope": team_scope,
        "outlooks": [outlook(plans[s.pk], now) for s in schedules if s.pk in shown],
        "my_shifts": shifts_of(request.user, plans.values(), now, now + timedelta(days=PAGE_DAYS))[:10],
        "incoming": _pending_swaps(covering_user=request.user),
        "outgoing": _pending_swaps(requester=request.user),
        "user_feed_url": ical.user_feed_url(request.user),
        "days": PAGE_DAYS,
        "unpageable": reachability.warnings(plans.values(), now),
    }
    return render(request, "incidents/oncall/index.html", context)


def _plan(schedule: Schedule, now) -> SchedulePlan:
    """SCHEDULE with what its timeline (from a few days back) and its outlook (months ahead) need."""
    start, _ = timeline.window(now, timezone.get_current_timezone())
    return load_plan(schedule, min(start, now), now + OUTLOOK_HORIZONS[-1])


def _timeline(plan: SchedulePlan, now) -> timeline.Timeline:
    return timeline.build(plan, now, timezone.get_current_timezone())


def _schedule_page(request, schedule: Schedule, override_form=None, swap_form=None, status: int = 200):
    now = timezone.now()
    plan = _plan(schedule, now)
    may_manage = services.may_manage(Actor.from_request(request), schedule)
    mine = shifts_of(request.user, [plan], now, now + timedelta(days=PAGE_DAYS))
    if override_form is None:
        override_form = OverrideForm(schedule=schedule, user=request.user, may_manage=may_manage)
    if swap_form is None:
        initial = {"starts_at": mine[0][1].start, "ends_at": mine[0][1].end} if mine else {}
        swap_form = SwapRequestForm(schedule=schedule, user=request.user, initial=initial)
    overrides = list(schedule.overrides.filter(ends_at__gt=now).select_related("user", "created_by"))
    me = request.user.pk
    drawn = _timeline(plan, now)
    context = {
        "schedule": schedule,
        "outlook": outlook(plan, now),
        "timeline": drawn,
        "unpageable": reachability.warnings([plan], now),
        # Flagged above the page, not only drawn in red: time nobody covers, and layers nobody is left in
        # (a person who left, deactivated by SCIM, is taken out of their rotations: accounts.services).
        "gaps": [b for b in drawn.final.gaps if b.end > now],
        "empty_layers": [p.rotation for p in plan.rotations if not p.members],
        "shifts": plan.final_shifts(now, now + timedelta(days=PAGE_DAYS)),
        "rotations": [(p.rotation, p.members) for p in plan.rotations],
        "overrides": overrides,
        "removable": {o.pk for o in overrides if may_manage or me in (o.user_id, o.created_by_id)},
        "swaps": _pending_swaps(schedule=schedule),
        "override_form": override_form,
        "swap_form": swap_form,
        "may_manage": may_manage,
        "feed_url": ical.schedule_feed_url(schedule),
        "user_feed_url": ical.user_feed_url(request.user),
        "days": PAGE_DAYS,
    }
    return render(request, "incidents/oncall/schedule.html", context, status=status)


@permission_required("incidents.view_schedule")
def schedule_detail(request, pk: int):
    return _schedule_page(request, get_object_or_404(Schedule.objects.select_related("team"), pk=pk))


def _form_failed(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form when it names none)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_POST
@permission_required("incidents.add_override")
def add_override(request, pk: int):
    schedule = get_object_or_404(Schedule, pk=pk)
    actor = Actor.from_request(request)
    manager = services.may_manage(actor, schedule)
    form = OverrideForm(request.POST, schedule=schedule, user=request.user, may_manage=manager)
    if form.is_valid():
        try:
            services.do_add_override(actor, schedule, **form.cleaned_data)
        except ValidationError as exc:
            _form_failed(form, exc)
        else:
            messages.success(request, "Override added.")
            return redirect(schedule)
    return _schedule_page(request, schedule, override_form=form, status=400)


@require_POST
@permission_required("incidents.change_override")
def delete_override(request, pk: int):
    override = get_object_or_404(Override.objects.select_related("schedule"), pk=pk)
    try:
        services.do_delete_override(Actor.from_request(request), override)
        messages.success(request, "Override removed.")
    except services.ActionError as exc:
        messages.error(request, str(exc))
    return redirect(override.schedule)


@require_POST
@permission_required("incidents.add_swaprequest")
def request_swap(request, pk: int):
    schedule = get_object_or_404(Schedule, pk=pk)
    form = SwapRequestForm(request.POST, schedule=schedule, user=request.user)
    if form.is_valid():
        try:
            swap = services.do_request_swap(Actor.from_request(request), schedule, **form.cleaned_data)
        except ValidationError as exc:
            _form_failed(form, exc)
        else:
            messages.success(request, f"Asked {display_name(swap.covering_user)} to cover.")
            return redirect(schedule)
    return _schedule_page(request, schedule, swap_form=form, status=400)


def _decide(request, pk: int, action, done: str):
    swap = get_object_or_404(SwapRequest.objects.select_related("schedule", "requester", "covering_user"), pk=pk)
    try:
        action(Actor.from_request(request), swap)
        messages.success(request, done)
    except services.ActionError as exc:
        messages.error(request, str(exc))
    # Back where the button was (the on-call page or the schedule), never off-site.
    back = request.POST.get("next", "")
    return redirect(back if back in (reverse("oncall:index"), swap.schedule.get_absolute_url()) else "oncall:index")


@require_POST
@permission_required("incidents.change_swaprequest")
def accept_swap(request, pk: int):
    return _decide(request, pk, services.do_accept_swap, "Swap accepted: you are covering.")


@require_POST
@permission_required("incidents.change_swaprequest")
def decline_swap(request, pk: int):
    return _decide(request, pk, services.do_decline_swap, "Swap declined.")


@require_POST
@permission_required("incidents.change_swaprequest")
def cancel_swap(request, pk: int):
    return _decide(request, pk, services.do_cancel_swap, "Swap request cancelled.")


def _calendar_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def schedule_feed(request, pk: int, token: str):
    """No login: the token in the URL is the credential."""
    schedule = Schedule.objects.filter(pk=pk).first()
    if schedule is None or not constant_time_compare(token, schedule.ical_token):
        raise Http404("No such feed.")
    return _calendar_response(ical.schedule_calendar(schedule), f"oncall-{schedule.pk}")


@require_GET
def user_feed(request, token: str):
    """No login: the signed token in the URL is the credential."""
    user = ical.user_from_token(token)
    if user is None:
        raise Http404("No such feed.")
    return _calendar_response(ical.user_calendar(user), f"oncall-{user.get_username()}")


@require_POST
# The calendar link's token is no setting the configuration files hold.
@permission_required("incidents.change_schedule", owned="incidents.Schedule", managed_edit=False)
def rotate_schedule_feed(request, pk: int):
    schedule = get_object_or_404(Schedule, pk=pk)
    services.do_rotate_schedule_feed(Actor.from_request(request), schedule)
    messages.success(request, "New calendar link made. Calendars on the old one stop updating: share the new one.")
    return redirect(schedule)


@require_POST
@permission_required("incidents.view_schedule")
def rotate_my_feed(request):
    """A new link for the asker's own calendar (an admin rotates anyone's through the API)."""
    services.do_rotate_personal_feed(Actor.from_request(request), request.user)
    messages.success(request, "New link for your calendar made. The old one no longer works: subscribe again.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if safe else "oncall:index")


# --- Editing schedules and their layers (admins) ---------------------------------------------------


def _errors_on(form, exc: ValidationError, elsewhere: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Put a service's ValidationError on FORM's fields, and return the errors on the fields named in
    ELSEWHERE, which the page shows beside their own part (a layer's people)."""
    if not hasattr(exc, "error_dict"):
        _form_failed(form, exc)
        return {}
    kept = {name: exc.message_dict[name] for name in elsewhere if name in exc.error_dict}
    rest = {name: errors for name, errors in exc.error_dict.items() if name not in kept}
    if rest:
        _form_failed(form, ValidationError(rest))
    return kept


@require_http_methods(["GET", "POST"])
@permission_required("incidents.add_schedule")
def schedule_new(request):
    form = ScheduleForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            schedule = services.do_create_schedule(Actor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            _form_failed(form, exc)
        else:
            messages.success(request, f"Schedule {schedule.name} created. Add its first layer of people.")
            return redirect("oncall:rotation_new", pk=schedule.pk)
    context = {"form": form, "schedule": None, "title": "New schedule"}
    return render(request, "incidents/oncall/schedule_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required("incidents.change_schedule", owned="incidents.Schedule")
def schedule_edit(request, pk: int):
    schedule = get_object_or_404(Schedule, pk=pk)
    # The form works on a copy: a refused change must not show on the page as if stored.
    form = ScheduleForm(request.POST if request.method == "POST" else None, instance=copy(schedule))
    if form.is_bound and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.do_update_schedule(Actor.from_request(request), schedule, **changes)
        except ValidationError as exc:
            _form_failed(form, exc)
        else:
            messages.success(request, "Schedule saved.")
            return redirect(schedule)
    context = {"form": form, "schedule": schedule, "title": f"Edit {schedule.name}"}
    return render(request, "incidents/oncall/schedule_form.html", context, status=400 if form.errors else 200)


def _confirm_delete(request, target, back: str, consequences: str):
    context = {"target": target, "back": back, "consequences": consequences}
    return render(request, "incidents/oncall/confirm_delete.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("incidents.delete_schedule", owned="incidents.Schedule")
def schedule_delete(request, pk: int):
    schedule = get_object_or_404(Schedule, pk=pk)
    if request.method == "GET":
        layers, overrides = schedule.rotations.count(), schedule.overrides.count()
        said = f"Its {layers} layer(s) and {overrides} override(s) go with it; its calendar links stop working."
        return _confirm_delete(request, schedule, schedule.get_absolute_url(), said)
    try:
        services.do_delete_schedule(Actor.from_request(request), schedule)
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return redirect(schedule)
    messages.success(request, f"Schedule {schedule.name} deleted.")
    return redirect("oncall:index")


def _rotation_page(request, schedule: Schedule, rotation: Rotation | None):
    """Add or edit a layer: Preview draws the timeline with the changes unsaved; Save saves them."""
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    instance = copy(rotation) if rotation is not None else Rotation(schedule=schedule)
    initial = RotationForm.initial_for(schedule, now) if rotation is None else None
    form = RotationForm(data, instance=instance, initial=initial, schedule=schedule)
    members = MemberFormSet(data, initial=member_initial(rotation), people=people_for(rotation), prefix="members")
    plan, member_errors, preview = _plan(schedule, now), [], None
    if data is not None and all([form.is_valid(), members.is_valid()]):  # both, for every error at once
        fields = {name: form.cleaned_data[name] for name in ROTATION_FIELDS}
        actor = Actor.from_request(request)
        try:
            if "preview" in data:
                preview = services.check_rotation(schedule, rotation, members.members(), **fields)
            elif rotation is None:
                rotation = services.do_create_rotation(actor, schedule, members=members.members(), **fields)
            else:
                services.do_update_rotation(actor, rotation, members=members.members(), **fields)
        except ValidationError as exc:
            member_errors = _errors_on(form, exc, elsewhere=("members",)).get("members", [])
        else:
            if preview is None:
                messages.success(request, f"Layer {rotation.name} saved: the timeline below shows its effect.")
                return redirect(f"{schedule.get_absolute_url()}#timeline")
    failed = bool(form.errors or members.total_error_count() or member_errors)
    context = {
        "schedule": schedule,
        "rotation": rotation,
        "form": form,
        "members": members,
        "member_errors": member_errors,
        "preview": preview is not None,
        "timeline": _timeline(plan.replacing(preview) if preview is not None else plan, now),
    }
    return render(request, "incidents/oncall/rotation_form.html", context, status=400 if failed else 200)


@require_http_methods(["GET", "POST"])
@permission_required("incidents.add_rotation", owned="incidents.Schedule")
def rotation_new(request, pk: int):
    return _rotation_page(request, get_object_or_404(Schedule, pk=pk), None)


@require_http_methods(["GET", "POST"])
@permission_required("incidents.change_rotation", owned="incidents.Rotation")
def rotation_edit(request, pk: int):
    rotation = get_object_or_404(Rotation.objects.select_related("schedule"), pk=pk)
    return _rotation_page(request, rotation.schedule, rotation)


@require_http_methods(["GET", "POST"])
@permission_required("incidents.delete_rotation", owned="incidents.Rotation")
def rotation_delete(request, pk: int):
    rotation = get_object_or_404(Rotation.objects.select_related("schedule"), pk=pk)
    schedule = rotation.schedule
    if request.method == "GET":
        said = f"{rotation.members.count()} people take turns in it; the layers below show through where it covered."
        return _confirm_delete(request, rotation, reverse("oncall:rotation_edit", args=[rotation.pk]), said)
    services.do_delete_rotation(Actor.from_request(request), rotation)
    messages.success(request, f"Layer {rotation.name} deleted.")
    return redirect(f"{schedule.get_absolute_url()}#timeline")


@require_POST
@permission_required("incidents.change_rotation", owned="incidents.Rotation")
def rotation_move(request, pk: int):
    rotation = get_object_or_404(Rotation.objects.select_related("schedule"), pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, "Say which way to move the layer: up or down.")
    else:
        try:
            services.do_move_rotation(Actor.from_request(request), rotation, up=direction == "up")
        except services.ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Layer {rotation.name} moved {direction}.")
    return redirect(f"{rotation.schedule.get_absolute_url()}#layers")
