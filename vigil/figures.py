"""How a figure of uptime is framed and written, the same on every page that shows one.

"The last N days" is always [now - N days, now) (last_days()); a figure is shown with its period
in words (period_words(): "over the last 90 days, to Dec 4"), and a share as a percentage rounded
down (percent(): a component that was ever down never shows 100%). Days are UTC days. The monitor
page and its API (monitoring.uptime), the status page's bars (comms.status.uptime_bars) and the
reports (postmortems.reports.figures) all write their figures with these (issue #15: one number,
one function); the seconds themselves come from monitoring.uptime, through
incidents.providers.component_uptime for the apps beside monitoring.
"""

import math
from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Interval = tuple[datetime, datetime]


def floor_day(at: datetime) -> datetime:
    """The UTC midnight before AT: daily rollups start at UTC midnights, whatever the viewer's zone."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ratio(monitored: float, down: float) -> float | None:
    """Uptime from seconds monitored and down; None when nothing was monitored."""
    if monitored <= 0:
        return None
    return min(1.0, max(0.0, 1 - down / monitored))


def last_days(days: int, now: datetime) -> Interval:
    """The window "the last DAYS days" means everywhere: [now - DAYS days, now)."""
    return now - timedelta(days=days), now


def percent(share: float | None, digits: int = 2) -> str:
    """0.99987 -> '99.98%': rounded down, so a component that was ever down never shows 100%."""
    if share is None:
        return "no data"
    return f"{floored_percent(share, digits):.{digits}f}%"


def floored_percent(share: float | None, digits: int = 3) -> float | None:
    """The share as a percentage rounded down to DIGITS decimals (for tables, CSV and the API)."""
    if share is None:
        return None
    # Rounded to a millionth first: 0.9956 * 10,000 is 9955.999... in binary, and must floor to 9956.
    return math.floor(round(share * 10 ** (digits + 2), 6)) / 10**digits


def period_words(since: datetime, until: datetime, began: datetime | None = None) -> str:
    """The period of a figure, in words: "over the last 30 days, to Dec 4", or "since Dec 2, to Dec 4"
    when what was measured began inside the window (a monitor added since). Days are UTC days."""
    end = day_words(until, end=True)
    if began is not None and began > since:
        start = day_words(began)
        return "today" if start == end else f"since {start}, to {end}"
    length = until - since
    if length >= DAY and length % DAY == timedelta(0):
        return f"over the last {length // DAY} days, to {end}"
    hours = round(length / HOUR)
    return f"over the last {hours} hours, to {end}"


def day_words(at: datetime, end: bool = False) -> str:
    """ "Dec 4": the UTC day AT falls in; as the END of a window, a midnight closes the day before it."""
    at = at.astimezone(UTC)
    if end and at == floor_day(at):
        at -= timedelta(microseconds=1)
    return f"{at:%b} {at.day}"
