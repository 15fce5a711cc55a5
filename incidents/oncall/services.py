"""On-call actions. The dashboard and the API both call these, and only these.

Views check the role (a model permission); these functions check the rest: who
may act on whose behalf, the state a swap request is in, the times given. Each
writes in one transaction and records an audit entry.

Bad input raises django.core.exceptions.ValidationError keyed by field; acting for
someone else without the right raises PermissionDenied; a move the present state
does not allow (a swap already decided) raises ActionError.
"""

from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import (
    EscalationLevel,
    Override,
    PersonalFeed,
    Rotation,
    RotationMember,
    Schedule,
    SwapRequest,
    Team,
)
from vigil import ownership
from vigil.audit import Actor, record
from vigil.people import display_name

from .schedule import shifts_between

# Managing a schedule (and acting on others' behalf in it) is an admin's, or a responder's of the
# team that owns the schedule (change_schedule is a team permission: vigil.ownership).
MANAGE = "incidents.change_schedule"
# A swap covers at most this much, which bounds the check that the stretch is the requester's.
LONGEST_SWAP = timedelta(days=92)


class ActionError(Exception):
    """The action is not allowed in the present state. The message says why."""


def may_manage(actor: Actor, schedule: Schedule | None = None) -> bool:
    """The system (no user) and schedule admins act for anyone: in SCHEDULE, its team's responders too;
    outside any one schedule (a person's own calendar link), only a role that holds MANAGE."""
    if actor.user is None:
        return True
    if schedule is None:
        return ownership.by_role(actor.user, MANAGE)
    return actor.user.has_perm(MANAGE) and ownership.may_change(actor.user, schedule, MANAGE)


def _is(actor: Actor, user_id: int | None) -> bool:
    return actor.user is not None and actor.user.pk == user_id


def _check_active(field: str, users: Sequence) -> None:
    inactive = [display_name(u) for u in users if not u.is_active]
    if inactive:
        raise ValidationError({field: f"Not an active user: {', '.join(inactive)}."})


def _check_ends_in_future(ends_at: datetime) -> None:
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": "Must be in the future: what already happened stays as it was."})


# --- Teams (admins) ---------------------------------------------------------------------


@transaction.atomic
def do_create_team(actor: Actor, *, name: str, members: Sequence = ()) -> Team:
    """The team NAME with MEMBERS. A team of that name already (names are unique) is joined, not
    refused: MEMBERS are added to it and nobody is taken out, so an importer bringing a team Vigil
    has by hand (as it joins a component of the same name) keeps what was set there.

    The existing team is locked, so two joins at once each add their people. Two creations of one
    new name at once: the database's unique name refuses the second, and it fails rather than duplicates."""
    name = (name or "").strip()
    team = Team.objects.select_for_update().filter(name=name).first()
    if team is None:
        team = Team(name=name)
        team.full_clean()
        team.save()
        team.members.set(members)
        record(actor, "team.create", team, members=[u.pk for u in members])
        return team
    present = set(team.members.values_list("pk", flat=True))
    added = [u for u in members if u.pk not in present]
    team.members.add(*added)
    record(actor, "team.join", team, added=[u.pk for u in added])
    return team


@transaction.atomic
def do_rename_team(actor: Actor, team: Team, *, name: str) -> Team:
    """Give TEAM a new NAME (unique); members, admins and what the team owns stay."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    before, team.name = team.name, (name or "").strip()
    if team.name == before:
        return team
    team.full_clean()
    team.save(update_fields=["name"])
    record(actor, "team.rename", team, before=before)
    return team


@transaction.atomic
def do_delete_team(actor: Actor, team: Team) -> None:
    """Delete TEAM. What it owned stays, owned by no team (every team foreign key is SET_NULL)."""
    record(actor, "team.delete", team, name=team.name)
    team.delete()


# --- Schedules and rotations (admins) -------------------------------------------------


@transaction.atomic
def do_create_schedule(actor: Actor, **fields) -> Schedule:
    schedule = Schedule(**fields)
    schedule.full_clean()
    schedule.save()
    record(actor, "oncall.schedule.create", schedule, time_zone=schedule.time_zone)
    return schedule


@transaction.atomic
def do_update_schedule(actor: Actor, schedule: Schedule, **changes) -> Schedule:
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    for name, value in changes.items():
        setattr(schedule, name, value)
    schedule.full_clean()
    schedule.save()
    record(actor, "oncall.schedule.update", schedule, fields=sorted(changes))
    return schedule


@transaction.atomic
def do_delete_schedule(actor: Actor, schedule: Schedule) -> None:
    # Deleting a schedule an escalation level pages would leave that level paging nobody.
    levels = EscalationLevel.objects.filter(schedules=schedule).select_related("policy")
    if levels:
        names = ", ".join(sorted({str(level.policy) for level in levels}))
        raise ActionError(f"Escalation policies page this schedule ({names}); take it out of them first.")
    record(actor, "oncall.schedule.delete", schedule, name=schedule.name)
    schedule.delete()


def check_members(members: Sequence) -> None:
    """A rotation takes turns between people: at least one, each once, every one still active.

    Someone listed twice is a slip of the hand far more often than a wish for double turns, and
    in a long list it is easy to miss; a person who left would be skipped without a word."""
    if not members:
        raise ValidationError({"members": "Add at least one person: a rotation without people covers nobody."})
    seen, twice = set(), []
    for user in members:
        if user.pk in seen and user not in twice:
            twice.append(user)
        seen.add(user.pk)
    if twice:
        names = ", ".join(display_name(u) for u in twice)
        raise ValidationError({"members": f"{names} listed twice: each person takes one turn per round."})
    _check_active("members", members)


def check_rotation(schedule: Schedule, rotation: Rotation | None, members: Sequence | None, **changes) -> Rotation:
    """ROTATION (a new one when None) on SCHEDULE with CHANGES and MEMBERS applied, validated and
    not saved: the actions below save it; the dashboard draws it as a preview.

    Raises one ValidationError naming every field at fault, so a form shows all its errors at
    once. MEMBERS None keeps the stored members (unchecked: they are not being changed). The
    returned rotation carries `active_members` for incidents.oncall.schedule to read."""
    candidate = Rotation(schedule=schedule) if rotation is None else copy(rotation)
    for name, value in changes.items():
        setattr(candidate, name, value)
    errors: dict[str, list] = {}
    checks = [candidate.full_clean] if members is None else [candidate.full_clean, lambda: check_members(members)]
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.update_error_dict({}).items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if members is not None:
        candidate.active_members = [RotationMember(user=user) for user in members]
    return candidate


def _set_members(rotation: Rotation, members: Sequence) -> None:
    rotation.members.all().delete()
    RotationMember.objects.bulk_create(
        RotationMember(rotation=rotation, user=user, position=i) for i, user in enumerate(members)
    )


@transaction.atomic
def do_create_rotation(actor: Actor, schedule: Schedule, *, members: Sequence = (), **fields) -> Rotation:
    rotation = check_rotation(schedule, None, members, **fields)
    rotation.save()
    _set_members(rotation, members)
    record(actor, "oncall.rotation.create", rotation, members=[u.pk for u in members])
    return rotation


@transaction.atomic
def do_update_rotation(actor: Actor, rotation: Rotation, *, members: Sequence | None = None, **changes) -> Rotation:
    """Nothing stored changes unless every change is valid (members included)."""
    rotation = Rotation.objects.select_for_update().select_related("schedule").get(pk=rotation.pk)
    rotation = check_rotation(rotation.schedule, rotation, members, **changes)
    rotation.save()
    details = {"fields": sorted(changes)}
    if members is not None:
        _set_members(rotation, members)
        details["members"] = [u.pk for u in members]
    record(actor, "oncall.rotation.update", rotation, **details)
    return rotation


@transaction.atomic
def do_move_rotation(actor: Actor, rotation: Rotation, *, up: bool) -> list[Rotation]:
    """Raise ROTATION one layer (UP) or lower it one, among its schedule's layers.

    The layers are renumbered top to bottom (n-1 ... 0) in their new order, so the order shown is
    the order that wins, with no two layers on the same priority left to break a tie by age. The
    schedule's rotations are locked in id order, so two moves at once wait for each other rather
    than renumber from the same stale order (or deadlock)."""
    layers = list(Rotation.objects.select_for_update().filter(schedule_id=rotation.schedule_id).order_by("id"))
    layers.sort(key=lambda r: (-r.priority, r.pk))
    i = next(i for i, r in enumerate(layers) if r.pk == rotation.pk)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(layers):
        raise ActionError(f"{rotation.name} is already the {'top' if up else 'bottom'} layer.")
    layers[i], layers[j] = layers[j], layers[i]
    for priority, layer in zip(range(len(layers) - 1, -1, -1), layers, strict=True):
        if layer.priority != priority:
            layer.priority = priority
            layer.save(update_fields=["priority"])
    record(actor, "oncall.rotation.move", rotation, up=up, order=[r.pk for r in layers])
    return layers


@transaction.atomic
def do_delete_rotation(actor: Actor, rotation: Rotation) -> None:
    record(actor, "oncall.rotation.delete", rotation, schedule=rotation.schedule_id)
    rotation.delete()


# --- Overrides (responders for themselves, admins for anyone) -----------------------------


@transaction.atomic
def do_add_override(
    actor: Actor, schedule: Schedule, *, user, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> Override:
    """USER covers SCHEDULE from STARTS_AT to ENDS_AT ("I'll cover Tuesday night")."""
    if not _is(actor, user.pk) and not may_manage(actor, schedule):
        raise PermissionDenied("You may add overrides for yourself only.")
    override = Override(
        schedule=schedule, user=user, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor.user
    )
    override.full_clean()
    _check_active("user", [user])
    _check_ends_in_future(ends_at)
    override.save()
    record(actor, "oncall.override.add", override, user=user.pk, starts_at=str(starts_at), ends_at=str(ends_at))
    return override


@transaction.atomic
def do_delete_override(actor: Actor, override: Override) -> None:
    """The person covering, the one who added it, or an admin takes an override back. Past ones stay."""
    manager = may_manage(actor, override.schedule)
    if not (manager or _is(actor, override.user_id) or _is(actor, override.created_by_id)):
        raise PermissionDenied("Only the person covering, the one who added it, or an admin may remove an override.")
    if override.ends_at <= timezone.now() and not manager:
        raise ActionError("This override is over; it stays in the record.")
    record(actor, "oncall.override.delete", override, user=override.user_id, starts_at=str(override.starts_at))
    override.delete()


@dataclass(frozen=True)
class Departure:
    """What taking a person off on-call changed: for the warning to the schedules' owners."""

    rotations: list[Rotation] = field(default_factory=list)  # they were a member of these
    emptied: list[Rotation] = field(default_factory=list)  # ...which have nobody left now
    overrides: list[Override] = field(default_factory=list)  # theirs still to come, removed or cut short

    @property
    def schedules(self) -> list[Schedule]:
        found = {r.schedule_id: r.schedule for r in self.rotations} | {
            o.schedule_id: o.schedule for o in self.overrides
        }
        return sorted(found.values(), key=lambda s: s.name)


@transaction.atomic
def do_remove_from_oncall(actor: Actor, user, *, now: datetime | None = None) -> Departure:
    """Take USER (who left: an identity provider deactivated them) off every rotation, and off the
    overrides they hold that are not over: one to come is deleted, one under way ends NOW.

    The schedule already ignores inactive people (incidents.oncall.schedule), so nobody is paged a
    person who left either way; removing the rows makes it last: reactivating someone must not put
    them back on call unasked. A rotation may be left with nobody: unlike check_members, this does
    not refuse it, since the person is gone whatever we answer; the timeline shows the time it no
    longer covers as a gap and the caller warns the schedule's owners. Past overrides stay on record."""
    now = now or timezone.now()
    memberships = RotationMember.objects.select_related("rotation__schedule").filter(user=user)
    rotations = list({m.rotation_id: m.rotation for m in memberships}.values())
    departure = Departure(rotations=rotations)
    for rotation in rotations:
        RotationMember.objects.filter(rotation=rotation, user=user).delete()
        remaining = list(rotation.members.values_list("user_id", flat=True))
        if not RotationMember.objects.filter(rotation=rotation, user__is_active=True).exists():
            departure.emptied.append(rotation)
        record(actor, "oncall.rotation.update", rotation, fields=[], members=remaining, left=user.pk)
    for override in Override.objects.select_related("schedule").filter(user=user, ends_at__gt=now):
        departure.overrides.append(override)
        if override.starts_at >= now:
            record(actor, "oncall.override.delete", override, user=user.pk, starts_at=str(override.starts_at))
            override.delete()
        else:
            Override.objects.filter(pk=override.pk).update(ends_at=now)
            record(actor, "oncall.override.cut", override, user=user.pk, ends_at=str(now))
    return departure


# --- Swap requests ----------------------------------------------------------------------


def _check_stretch_is_theirs(schedule: Schedule, requester, starts_at: datetime, ends_at: datetime) -> None:
    """The requester is on call during the stretch, and nobody else is."""
    if ends_at - starts_at > LONGEST_SWAP:
        raise ValidationError({"ends_at": f"A swap covers at most {LONGEST_SWAP.days} days."})
    people = {s.user for s in shifts_between(schedule, starts_at, ends_at)}
    if requester not in people:
        raise ValidationError({"starts_at": f"You are not on call on {schedule} during this time."})
    others = sorted(display_name(u) for u in people - {requester})
    if others:
        raise ValidationError(
            {"starts_at": f"{', '.join(others)} on call during part of this time; ask for your own shifts only."}
        )


@transaction.atomic
def do_request_swap(
    actor: Actor, schedule: Schedule, *, covering_user, starts_at: datetime, ends_at: datetime, message: str = ""
) -> SwapRequest:
    """The actor asks COVERING_USER to take their shifts on SCHEDULE from STARTS_AT to ENDS_AT."""
    requester = actor.user
    if requester is None:
        raise PermissionDenied("A swap request needs a person asking.")
    swap = SwapRequest(
        schedule=schedule,
        requester=requester,
        covering_user=covering_user,
        starts_at=starts_at,
        ends_at=ends_at,
        message=message,
    )
    swap.full_clean()
    if covering_user.pk == requester.pk:
        raise ValidationError({"covering_user": "Ask someone else to cover."})
    _check_active("covering_user", [covering_user])
    _check_ends_in_future(ends_at)
    _check_stretch_is_theirs(schedule, requester, starts_at, ends_at)
    swap.save()
    record(actor, "oncall.swap.request", swap, covering_user=covering_user.pk)
    return swap


def _decide(swap: SwapRequest, status: str) -> None:
    """Move SWAP from pending to STATUS with a conditional UPDATE: of two clicks, one wins."""
    now = timezone.now()
    won = SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.PENDING, ends_at__gt=now).update(
        status=status, decided_at=now
    )
    if not won:
        swap.refresh_from_db()
        if swap.status != SwapRequest.Status.PENDING:
            raise ActionError(f"This swap request is already {swap.get_status_display().lower()}.")
        raise ActionError("This swap request has expired.")


def do_accept_swap(actor: Actor, swap: SwapRequest) -> SwapRequest:
    """The covering user, and only they, accepts: the override is made in the same transaction."""
    if not _is(actor, swap.covering_user_id):
        raise PermissionDenied("Only the person asked to cover may accept.")
    with transaction.atomic():
        _decide(swap, SwapRequest.Status.ACCEPTED)
        swap.refresh_from_db()
        reason = f"Swap with {display_name(swap.requester)}" + (f": {swap.message}" if swap.message else "")
        override = Override.objects.create(
            schedule=swap.schedule,
            user=swap.covering_user,
            starts_at=swap.starts_at,
            ends_at=swap.ends_at,
            reason=reason[:200],
            created_by=actor.user,
        )
        SwapRequest.objects.filter(pk=swap.pk).update(override=override)
        swap.override = override
        record(actor, "oncall.swap.accept", swap, override=override.pk)
    return swap


def do_decline_swap(actor: Actor, swap: SwapRequest) -> SwapRequest:
    if not _is(actor, swap.covering_user_id):
        raise PermissionDenied("Only the person asked to cover may decline.")
    with transaction.atomic():
        _decide(swap, SwapRequest.Status.DECLINED)
        record(actor, "oncall.swap.decline", swap)
    swap.refresh_from_db()
    return swap


def do_cancel_swap(actor: Actor, swap: SwapRequest) -> SwapRequest:
    if not _is(actor, swap.requester_id):
        raise PermissionDenied("Only the person who asked may cancel.")
    with transaction.atomic():
        _decide(swap, SwapRequest.Status.CANCELLED)
        record(actor, "oncall.swap.cancel", swap)
    swap.refresh_from_db()
    return swap


# --- Calendar feed links (incidents.oncall.ical) -------------------------------------------------


@transaction.atomic
def do_rotate_schedule_feed(actor: Actor, schedule: Schedule) -> Schedule:
    """A new secret in the schedule's calendar URL: calendars subscribed to the old one stop updating (404)."""
    if not may_manage(actor, schedule):
        raise PermissionDenied("Only a schedule admin gives a schedule a new calendar link.")
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    schedule.ical_token = Schedule._meta.get_field("ical_token").get_default()
    schedule.save(update_fields=["ical_token"])
    record(actor, "schedule.rotate_feed", schedule)  # never the token itself
    return schedule


@transaction.atomic
def do_rotate_personal_feed(actor: Actor, user) -> PersonalFeed:
    """A new link for USER's own calendar; the old one stops working, everyone else's stays.
    A person rotates their own; a schedule admin anyone's."""
    if not (_is(actor, user.pk) or may_manage(actor)):
        raise PermissionDenied("You may give only your own calendar a new link.")
    feed, _ = PersonalFeed.objects.select_for_update().get_or_create(user=user)
    feed.version += 1
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["version", "rotated_at"])
    record(actor, "oncall.rotate_personal_feed", user)
    return feed
