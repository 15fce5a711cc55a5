"""Weekly restrictions (a day of the week, a time of day, a length) as Vigil windows and days.

Shared by the PagerDuty, Opsgenie and Grafana OnCall importers. A Vigil rotation covers a window
(`active_from`-`active_until`) opening on its `days`; a window belongs to the local date it opens
on. A span of 24 h or less is one window (Friday 18:00 for 12 h is Friday's 18:00-06:00); a longer
one is split at local midnights into its first evening, whole days and last morning. Pieces with
the same window make one rotation with their days; different windows make rotations of their own
with the same people, start and priority, so their union is the restriction, exactly. Lengths are
read on the schedule zone's wall clock, as the vendors draw restrictions.
"""

from collections.abc import Iterable
from datetime import time

from incidents.models.oncall import ALL_DAYS, WEEKDAYS, days_mask

HOUR, DAY, WEEK = 3600, 86400, 7 * 86400

Window = tuple[time | None, time | None] | None  # (from, until), None for 24:00 or 00:00; None: all day
Span = tuple[int, int, int]  # (ISO weekday it opens on, seconds after that day's midnight, length in seconds)


def windows(spans: Iterable[Span]) -> dict[Window, int]:
    """The windows whose union is SPANS' coverage in a week, each with the days (Rotation.days' bits)
    it opens on, in the order the spans name them."""
    found: dict[Window, int] = {}
    for day, offset, seconds in spans:
        if seconds >= WEEK:
            pieces = [(d, None) for d in WEEKDAYS]
        else:
            pieces = [((day - 1 + n) % 7 + 1, window) for n, window in split(offset, seconds)]
        for weekday, window in pieces:
            found[window] = found.get(window, 0) | days_mask([weekday])
    if found.get(None) == ALL_DAYS:  # whole days, every day: nothing else to add
        return {None: ALL_DAYS}
    return found


def split(offset: int, seconds: int) -> list[tuple[int, Window]]:
    """[OFFSET, OFFSET + SECONDS) from a day's midnight as (days later, window) pieces: one window of
    up to a day when it fits (running past midnight if it must), else cut at each midnight."""
    end = offset + seconds
    if seconds < DAY or (seconds == DAY and offset == 0):
        return [(0, window_of(offset, end))]
    pieces = [(0, window_of(offset, DAY))] if offset else []
    pieces += [(n, None) for n in range(1 if offset else 0, end // DAY)]
    if end % DAY:
        pieces.append((end // DAY, window_of(0, end % DAY)))
    return pieces


def window_of(begin: int, end: int) -> Window:
    """The window from BEGIN to END seconds after a midnight (END up to BEGIN + a day)."""
    if begin == 0 and end == DAY:
        return None
    return (clock(begin) if begin else None, clock(end % DAY) if end % DAY else None)


def clock(seconds: int) -> time:
    return time(seconds // HOUR, seconds % HOUR // 60, seconds % 60)


def settings_for(base: dict, found: dict[Window, int]) -> list[dict]:
    """do_create_rotation keyword arguments: BASE with each window and its days."""
    out = []
    for window, days in found.items():
        settings = dict(base, days=days)
        if window is not None:
            settings.update(active_from=window[0], active_until=window[1])
        out.append(settings)
    return out
