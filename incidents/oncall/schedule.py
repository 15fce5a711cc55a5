"""Who is on call when: pure computation over the rows it is handed.

A rotation's shift k runs from hand-off k to hand-off k+1 and belongs to member
k mod n (members in `position` order). Hand-off 0 is `starts_at`.

- Shifts in hours are fixed lengths of time: hand-off k is `starts_at + k * length`.
- Shifts in days or weeks hand off at the same wall-clock time in the schedule's
  zone: hand-off k is the local time of `starts_at` plus k * length calendar days,
  turned back into UTC. Across a daylight-saving change that shift is an hour
  longer or shorter, and the hand-off stays at, say, 09:00.

Local times that a daylight-saving change makes odd are read with fold=0
(`local_to_utc`), everywhere in this module:

- an ambiguous time (it happens twice when clocks go back) means its first
  occurrence, the one still on summer time;
- a time that does not exist (skipped when clocks go forward) is read with the
  offset from before the change, so it lands that much later: in Europe/Paris on
  2026-03-29, a 02:30 hand-off happens at 03:30 CEST.

A rotation may cover only part of each day (`active_from`-`active_until`, local
time; a window that wraps midnight, 22:00-06:00, covers the night) and only on some
days of the week (`days`). A window belongs to the local date it opens on: Friday's
18:00-06:00 runs into Saturday morning, and without Thursday that rotation does
not cover the small hours of Friday; without a window a day is the whole date.
Outside them the rotation covers nobody and a lower layer, if any, shows through;
its hand-offs go on as if it covered all days.

The final schedule layers these: an override wins over every rotation (among
overlapping overrides the newest wins); otherwise the rotation with the highest
`priority` that covers the moment (on equal priority, the older rotation). So at
most one person is on call on a schedule at a time.

Members and overrides of inactive users are ignored: a person who left is never
the one paged. The loaders at the end fetch everything for any number of
schedules in three queries.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q

from incidents.models import Override, Rotation, RotationMember, Schedule
from incidents.models.oncall import ALL_DAYS

DAY = timedelta(days=1)


def local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in TZ as an aware UTC datetime, with fold=0 (see the module docstring)."""
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def utc_to_local(moment: datetime, tz: ZoneInfo) -> datetime:
    """MOMENT's wall-clock time in TZ, naive."""
    return moment.astimezone(tz).replace(tzinfo=None)


def as_utc(moment: datetime) -> datetime:
    """Every moment is turned to UTC on the way in: Python adds, subtracts and compares two
    datetimes that share a zone by their wall clocks, which is wrong across a change."""
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Shift:
    """Someone on call from `start` to `end`, because of a rotation or an override."""

    start: datetime
    end: datetime
    user: object
    rotation: Rotation | None = None
    override: Override | None = None

    @property
    def source(self) -> str:
        return "override" if self.override is not None else "rotation"

    @property
    def source_label(self) -> str:
        if self.override is not None:
            return f"Override{': ' + self.override.reason if self.override.reason else ''}"
        return self.rotation.name if self.rotation is not None else ""

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


# --- One rotation -----------------------------------------------------------------


@dataclass
class RotationPlan:
    """A rotation with its members, ready to answer questions about time."""

    rotation: Rotation
    members: Sequence
    tz: ZoneInfo

    @property
    def step(self) -> timedelta:
        length = self.rotation.shift_length
        unit = self.rotation.shift_unit
        if unit == Rotation.Unit.HOURS:
            return timedelta(hours=length)
        return timedelta(weeks=length) if unit == Rotation.Unit.WEEKS else timedelta(days=length)

    @property
    def wall_clock(self) -> bool:
        return self.rotation.shift_unit != Rotation.Unit.HOURS

    @property
    def start(self) -> datetime:
        return as_utc(self.rotation.starts_at)

    def handoff(self, k: int) -> datetime:
        """The start of shift K (k >= 0)."""
        start = self.start
        if k == 0:
            return start
        if not self.wall_clock:
            return start + k * self.step
        return local_to_utc(utc_to_local(start, self.tz) + k * self.step, self.tz)

    def index_at(self, moment: datetime) -> int | None:
        """The number of the shift running at MOMENT, or None before the first hand-off."""
        start, moment = self.start, as_utc(moment)
        if moment < start:
            return None
        if self.wall_clock:
            k = (utc_to_local(moment, self.tz) - utc_to_local(start, self.tz)) // self.step
        else:
            k = (moment - start) // self.step
        # Wall-clock arithmetic can be an hour off around a change; settle on the exact shift.
        k = max(k, 0)
        while k > 0 and self.handoff(k) > moment:
            k -= 1
        while self.handoff(k + 1) <= moment:
            k += 1
        return k

    def member(self, k: int):
        return self.members[k % len(self.members)]

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Shifts overlapping [START, END), each cut to the active window and to [START, END)."""
        start, end = as_utc(start), as_utc(end)
        if not self.members or end <= start:
            return []
        k = self.index_at(max(start, self.start))
        if k is None:
            return []
        raw = []
        try:
            while (begin := self.handoff(k)) < end:
                raw.append((begin, self.handoff(k + 1), self.member(k)))
                k += 1
        except OverflowError:  # a rotation near year 9999 simply ends there
            pass
        pieces = [(max(b, start), min(e, end), u) for b, e, u in raw]
        windows = self.active_windows(start, end)
        if windows is not None:
            pieces = _intersect(pieces, windows)
        return [Shift(b, e, u, rotation=self.rotation) for b, e, u in pieces if b < e]

    def user_at(self, moment: datetime):
        moment = as_utc(moment)
        if not self.members or not self.is_active_at(moment):
            return None
        k = self.index_at(moment)
        return None if k is None else self.member(k)

    # The daily window and the days it opens on. Reading both ends through local_to_utc
    # keeps `is_active_at` and `shifts` in agreement even inside a daylight-saving gap.

    @property
    def has_window(self) -> bool:
        start, until = self.rotation.active_from, self.rotation.active_until
        if start is None and until is None:
            return False
        return (start or time.min) != (until or time.min)  # 09:00-09:00 is all day

    @property
    def is_limited(self) -> bool:
        """Covers less than all the time: a daily window, or not every day of the week."""
        return self.has_window or self.rotation.days != ALL_DAYS

    def _window_on(self, day) -> tuple[datetime, datetime] | None:
        """The UTC stretch the window opened on local date DAY covers; None on a day left out.
        Without a window that is the whole local date."""
        if not self.rotation.covers_weekday(day.isoweekday()):
            return None
        start = self.rotation.active_from or time.min
        until = self.rotation.active_until or time.min
        until_day = day if until > start else day + DAY  # wraps midnight (or ends at 24:00)
        return (
            local_to_utc(datetime.combine(day, start), self.tz),
            local_to_utc(datetime.combine(until_day, until), self.tz),
        )

    def _windows_between(self, first, last) -> list[tuple[datetime, datetime]]:
        days = (first + i * DAY for i in range((last - first).days + 1))
        return [w for w in map(self._window_on, days) if w is not None]

    def active_windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]] | None:
        if not self.is_limited:
            return None
        first = utc_to_local(start, self.tz).date() - DAY
        return self._windows_between(first, utc_to_local(end, self.tz).date())

    def is_active_at(self, moment: datetime) -> bool:
        if not self.is_limited:
            return True
        moment = as_utc(moment)
        today = utc_to_local(moment, self.tz).date()
        return any(b <= moment < e for b, e in self._windows_between(today - DAY, today))


def _intersect(pieces, windows):
    """Cut each (start, end, user) piece to the sorted, disjoint WINDOWS."""
    out = []
    for begin, finish, user in pieces:
        for w_begin, w_end in windows:
            b, e = max(begin, w_begin), min(finish, w_end)
            if b < e:
                out.append((b, e, user))
    return out


# --- A schedule: rotations layered under overrides ------------------------------------


@dataclass
class SchedulePlan:
    """A schedule's rotations (highest priority first) and the overrides near the moments asked about."""

    schedule: Schedule
    rotations: list[RotationPlan] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)

    @classmethod
    def build(cls, schedule: Schedule, rotations: Iterable[Rotation], overrides: Iterable[Override]) -> SchedulePlan:
        tz = schedule.tz
        plans = [RotationPlan(r, _members_of(r), tz) for r in rotations]
        # On equal priority the older rotation wins; one not saved yet (a preview) is the newest.
        plans.sort(key=lambda p: (-p.rotation.priority, p.rotation.pk is None, p.rotation.pk or 0))
        return cls(schedule, plans, list(overrides))

    def replacing(self, rotation: Rotation) -> SchedulePlan:
        """This plan with ROTATION (unsaved changes, or a new layer) in place of the stored one: a preview.
        ROTATION carries its members as `active_members`, as incidents.oncall.services.check_rotation leaves it."""
        others = [p.rotation for p in self.rotations if rotation.pk is None or p.rotation.pk != rotation.pk]
        return SchedulePlan.build(self.schedule, [*others, rotation], self.overrides)

    def override_at(self, moment: datetime) -> Override | None:
        moment = as_utc(moment)
        covering = [o for o in self.overrides if o.starts_at <= moment < o.ends_at]
        return max(covering, key=lambda o: (o.created_at, o.pk or 0), default=None)

    def users_at(self, moment: datetime) -> list:
        """[the person on call at MOMENT], or [] when no layer covers it."""
        override = self.override_at(moment)
        if override is not None:
            return [override.user]
        for plan in self.rotations:
            user = plan.user_at(moment)
            if user is not None:
                return [user]
        return []

    def final_shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Who is on call over [START, END): consecutive pieces with the same person and source merged."""
        start, end = as_utc(start), as_utc(end)
        layers = [self.override_shifts(start, end)] + [p.shifts(start, end) for p in self.rotations]
        points = sorted({start, end} | {t for layer in layers for s in layer for t in (s.start, s.end)})
        points = [p for p in points if start <= p <= end]
        starts = [[s.start for s in layer] for layer in layers]
        result: list[Shift] = []
        for begin, finish in itertools.pairwise(points):
            winner = _winner(layers, starts, begin)
            if winner is None:
                continue
            piece = Shift(begin, finish, winner.user, rotation=winner.rotation, override=winner.override)
            last = result[-1] if result else None
            if last and last.end == begin and _same_hands(last, piece):
                result[-1] = Shift(last.start, finish, last.user, rotation=last.rotation, override=last.override)
            else:
                result.append(piece)
        return result

    def override_shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Overrides flattened so the newest wins where they overlap; sorted and disjoint."""
        relevant = [o for o in self.overrides if o.starts_at < end and o.ends_at > start]
        points = sorted({t for o in relevant for t in (o.starts_at, o.ends_at)} | {start, end})
        points = [p for p in points if start <= p <= end]
        pieces = []
        for begin, finish in itertools.pairwise(points):
            override = self.override_at(begin)
            if override is not None and override in relevant:
                pieces.append(Shift(begin, finish, override.user, override=override))
        return pieces


def _members_of(rotation: Rotation) -> list:
    members = getattr(rotation, "active_members", None)
    if members is None:  # not loaded by load_plans: one query
        members = _active_members().queryset.filter(rotation=rotation)
    return [m.user for m in members]


def _winner(layers, starts, moment: datetime) -> Shift | None:
    """The first layer's shift covering MOMENT (each layer sorted and disjoint)."""
    for layer, layer_starts in zip(layers, starts, strict=True):
        i = bisect.bisect_right(layer_starts, moment) - 1
        if i >= 0 and layer[i].covers(moment):
            return layer[i]
    return None


def _same_hands(a: Shift, b: Shift) -> bool:
    return a.user == b.user and a.rotation == b.rotation and a.override == b.override


def merge_by_user(shifts: Sequence[Shift]) -> list[Shift]:
    """Adjacent shifts of one person joined, whatever put them there: "on call until ..." reads these."""
    out: list[Shift] = []
    for s in shifts:
        if out and out[-1].end == s.start and out[-1].user == s.user:
            out[-1] = Shift(out[-1].start, s.end, s.user, rotation=out[-1].rotation, override=out[-1].override)
        else:
            out.append(s)
    return out


@dataclass(frozen=True)
class Outlook:
    """A schedule seen from one moment: who is on now and the next hand-offs."""

    schedule: Schedule
    at: datetime
    current: Shift | None  # merged by person, cut at AT; its end is None past the horizon looked at
    until: datetime | None
    upcoming: list[Shift]


OUTLOOK_HORIZONS = (timedelta(days=14), timedelta(days=120))


def outlook(plan: SchedulePlan, at: datetime, handoffs: int = 3) -> Outlook:
    """Who is on call at AT, until when, and the next HANDOFFS shifts (looking up to 120 days ahead)."""
    at = as_utc(at)
    for horizon in OUTLOOK_HORIZONS:
        end = at + horizon
        shifts = merge_by_user(plan.final_shifts(at, end))
        current = shifts[0] if shifts and shifts[0].start == at else None
        upcoming = [s for s in shifts if s.start > at][:handoffs]
        if len(upcoming) >= handoffs and (current is None or current.end < end):
            break
    until = current.end if current is not None and current.end < end else None
    return Outlook(plan.schedule, at, current, until, upcoming)


def shifts_of(user, plans: Iterable[SchedulePlan], start: datetime, end: datetime) -> list[tuple[Schedule, Shift]]:
    """USER's final shifts over [START, END) on every schedule in PLANS, soonest first."""
    mine = [(p.schedule, s) for p in plans for s in merge_by_user(p.final_shifts(start, end)) if s.user == user]
    return sorted(mine, key=lambda pair: (pair[1].start, pair[0].name))


# --- Loading: a constant number of queries, whatever the number of rows ---------------


def _active_members() -> Prefetch:
    members = RotationMember.objects.filter(user__is_active=True).select_related("user").order_by("position", "id")
    return Prefetch("members", queryset=members, to_attr="active_members")


def load_plans(schedules: Iterable[Schedule], start: datetime, end: datetime | None = None) -> dict[int, SchedulePlan]:
    """Plans for SCHEDULES with the overrides touching [START, END] (END defaults to START): 3 queries."""
    schedules = list(schedules)
    end = end or start
    ids = [s.pk for s in schedules]
    rotations = Rotation.objects.filter(schedule_id__in=ids).prefetch_related(_active_members())
    overrides = (
        Override.objects.filter(schedule_id__in=ids, user__is_active=True)
        .filter(Q(starts_at__lte=end) & Q(ends_at__gt=start))
        .select_related("user")
    )
    by_schedule: dict[int, tuple[list, list]] = {pk: ([], []) for pk in ids}
    for rotation in rotations:
        by_schedule[rotation.schedule_id][0].append(rotation)
    for override in overrides:
        by_schedule[override.schedule_id][1].append(override)
    return {s.pk: SchedulePlan.build(s, *by_schedule[s.pk]) for s in schedules}


def load_plan(schedule: Schedule, start: datetime, end: datetime | None = None) -> SchedulePlan:
    return load_plans([schedule], start, end)[schedule.pk]


def on_call_users(schedule: Schedule, at: datetime) -> list:
    """Who is on call on SCHEDULE at the aware datetime AT: [] or [user]. Three queries at most.

    The escalation engine calls this. Overrides win over rotations; among rotations
    the highest-priority layer that covers AT wins.
    """
    if at.tzinfo is None:
        raise ValueError("on_call_users needs an aware datetime")
    return load_plan(schedule, at).users_at(at)


def shifts_between(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final schedule of SCHEDULE over [START, END)."""
    return load_plan(schedule, start, end).final_shifts(start, end)
