"""The period a report covers: the last 30, 90 or 365 days, or from one date to another.

Dates are read in the viewer's time zone (DESIGN.md: shown in the viewer's zone) and the period
is the half-open interval [start, end) of their midnights, `to` included as a whole day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

CHOICES = [30, 90, 365]
DEFAULT_DAYS = 90
LONGEST = timedelta(days=3 * 366)


class PeriodError(ValueError):
    """The period asked for cannot be read; the message says why, for the form or the API's 400."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    days: int | None = None  # set for "the last N days"

    @property
    def first_day(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> date:
        """The last day inside the period (its end is the midnight after it, or now)."""
        return timezone.localtime(self.end - timedelta(microseconds=1)).date()

    @property
    def label(self) -> str:
        if self.days:
            return f"last {self.days} days"
        return f"{self.first_day:%d %b %Y} to {self.last_day:%d %b %Y}"

    def as_query(self) -> dict[str, str]:
        """The query string that asks for this period again (for the CSV links)."""
        if self.days:
            return {"days": str(self.days)}
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}

    @classmethod
    def last(cls, days: int, now: datetime | None = None) -> "Period":
        now = now or timezone.now()
        return cls(start=now - timedelta(days=days), end=now, days=days)

    @classmethod
    def between(cls, first: date, last: date) -> "Period":
        if last < first:
            raise PeriodError("The end date is before the start date.")
        start, end = _midnight(first), _midnight(last + timedelta(days=1))
        if end - start > LONGEST:
            raise PeriodError("A report covers at most three years.")
        return cls(start=start, end=end)

    @classmethod
    def from_query(cls, params, now: datetime | None = None) -> "Period":
        """`?days=30|90|365`, or `?from=YYYY-MM-DD&to=YYYY-MM-DD`; the last 90 days when neither is given."""
        first, last = params.get("from") or "", params.get("to") or ""
        if first or last:
            if not (first and last):
                raise PeriodError("Give both a start and an end date.")
            return cls.between(_date(first), _date(last))
        days = params.get("days") or str(DEFAULT_DAYS)
        if not days.isdigit() or int(days) not in CHOICES:
            raise PeriodError(f"days must be one of {', '.join(map(str, CHOICES))}.")
        return cls.last(int(days), now)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"“{text}” is not a date (YYYY-MM-DD).") from None
