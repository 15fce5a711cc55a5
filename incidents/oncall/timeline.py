"""A schedule drawn on a time axis: each layer, the overrides, and who is actually on call.

Pure computation over a SchedulePlan (incidents.oncall.schedule): it returns rows of blocks
placed in percent of the window, which the template draws with plain HTML and CSS. No script
and no chart library: the CSP allows neither inline script nor <style> elements, only style
attributes, which is all a block's position needs.

- The final row *is* `plan.final_shifts` (merged by person, so each edge is a real hand-off):
  the timeline cannot disagree with who the escalation engine pages. What it leaves uncovered
  are gaps, drawn in red: nobody would be paged then.
- Days are the viewer's days (DESIGN: every time is shown in the viewer's zone): the axis
  starts at the viewer's midnight DAYS_BACK days ago, has a tick at each of their midnights,
  and marks the day that is today for them. Hand-offs still follow the schedule's zone; only
  the drawing is the viewer's.
- A person keeps one colour (`tone`) across all rows of a timeline, in order of first
  appearance; the name is always written too, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from incidents.models import Rotation
from vigil.people import display_name

from .schedule import SchedulePlan, Shift, as_utc, local_to_utc, merge_by_user, utc_to_local

DAYS_BACK = 2
# Today and the 14 days after it: at least two full weeks ahead of now.
DAYS_AHEAD = 14
TONES = 8


@dataclass(frozen=True)
class Block:
    """One stretch of a row: someone on call (user set) or, in the final row, a gap (user None)."""

    start: datetime
    end: datetime
    left: float  # percent of the window
    width: float
    user: object | None = None
    tone: int = 0
    label: str = ""  # where it comes from: the layer's name, "Override: reason"

    @property
    def is_gap(self) -> bool:
        return self.user is None

    @property
    def style(self) -> str:
        return f"left:{self.left:.4f}%;width:{self.width:.4f}%"

    @property
    def initials(self) -> str:
        """What a block too narrow for the name shows: "AL" for Ann Lee, "bo" for bob, "Nobody" for a
        gap (which must never read as someone). The full name stays for screen readers and in the title."""
        if self.user is None:
            return "Nobody"
        words = display_name(self.user).split()
        return words[0][0] + words[-1][0] if len(words) > 1 else words[0][:2]


@dataclass(frozen=True)
class Row:
    kind: str  # "layer", "overrides" or "final"
    title: str
    blocks: list[Block]
    rotation: Rotation | None = None

    @property
    def gaps(self) -> list[Block]:
        return [b for b in self.blocks if b.is_gap]


@dataclass(frozen=True)
class Day:
    start: datetime
    left: float
    width: float
    today: bool


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    tz: ZoneInfo
    days: list[Day]
    layers: list[Row]
    overrides: Row
    final: Row
    now_left: float | None  # where "now" is, in percent; None outside the window

    @property
    def rows(self) -> list[Row]:
        return [*self.layers, self.overrides, self.final]


def window(now: datetime, tz: ZoneInfo, days_back: int = DAYS_BACK, days_ahead: int = DAYS_AHEAD):
    """[the viewer's midnight DAYS_BACK days ago, their midnight DAYS_AHEAD + 1 days from today)."""
    today = utc_to_local(as_utc(now), tz).date()
    first = today - timedelta(days=days_back)
    return _midnight(first, tz), _midnight(today + timedelta(days=days_ahead + 1), tz)


def _midnight(day, tz: ZoneInfo) -> datetime:
    return local_to_utc(datetime.combine(day, time.min), tz)


class _Scale:
    """Moments to percent of [start, end), and people to tones."""

    def __init__(self, start: datetime, end: datetime):
        self.start, self.end = start, end
        self.span = (end - start).total_seconds()
        self.tones: dict[object, int] = {}

    def x(self, moment: datetime) -> float:
        return max(0.0, min(100.0, (moment - self.start).total_seconds() * 100 / self.span))

    def tone(self, user) -> int:
        return self.tones.setdefault(user, len(self.tones) % TONES)

    def block(self, start: datetime, end: datetime, user=None, label: str = "") -> Block:
        left = self.x(start)
        tone = self.tone(user) if user is not None else 0
        return Block(start, end, left, self.x(end) - left, user, tone, label)

    def blocks(self, shifts: Sequence[Shift]) -> list[Block]:
        return [self.block(s.start, s.end, s.user, s.source_label) for s in shifts]


def _by_person(shifts: Sequence[Shift]) -> list[tuple[Shift, str]]:
    """merge_by_user's hand-offs, each with the sources it joins ("Weekly, Business hours")."""
    merged, i = [], 0
    for piece in merge_by_user(shifts):
        sources = []
        while i < len(shifts) and shifts[i].start < piece.end:  # both sorted: one walk
            sources.append(shifts[i].source_label)
            i += 1
        merged.append((piece, ", ".join(dict.fromkeys(label for label in sources if label))))
    return merged


def _with_gaps(scale: _Scale, shifts: Sequence[Shift]) -> list[Block]:
    """SHIFTS (sorted, disjoint) by person, with a gap block wherever nobody covers the window."""
    blocks, cursor = [], scale.start
    for s, label in _by_person(shifts):
        if s.start > cursor:
            blocks.append(scale.block(cursor, s.start))
        blocks.append(scale.block(s.start, s.end, s.user, label))
        cursor = s.end
    if cursor < scale.end:
        blocks.append(scale.block(cursor, scale.end))
    return blocks


def _days(scale: _Scale, tz: ZoneInfo, now: datetime) -> list[Day]:
    today = utc_to_local(now, tz).date()
    days, day = [], utc_to_local(scale.start, tz).date()
    while (begin := _midnight(day, tz)) < scale.end:
        end = _midnight(day + timedelta(days=1), tz)
        days.append(Day(begin, scale.x(begin), scale.x(end) - scale.x(begin), day == today))
        day += timedelta(days=1)
    return days


def build(plan: SchedulePlan, now: datetime, tz: ZoneInfo, start: datetime | None = None, end=None) -> Timeline:
    """The timeline of PLAN around NOW as the viewer in TZ sees it (the window defaults to window())."""
    now = as_utc(now)
    if start is None or end is None:
        start, end = window(now, tz)
    scale = _Scale(as_utc(start), as_utc(end))
    # The final row first, so the people actually on call get the first, most distinct tones.
    final = Row("final", "On call", _with_gaps(scale, plan.final_shifts(scale.start, scale.end)))
    layers = [
        Row("layer", p.rotation.name, scale.blocks(p.shifts(scale.start, scale.end)), rotation=p.rotation)
        for p in plan.rotations
    ]
    overrides = Row("overrides", "Overrides", scale.blocks(plan.override_shifts(scale.start, scale.end)))
    now_left = scale.x(now) if scale.start <= now < scale.end else None
    return Timeline(scale.start, scale.end, tz, _days(scale, tz, now), layers, overrides, final, now_left)
