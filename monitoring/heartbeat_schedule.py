"""When a heartbeat is due: a period and grace, or a cron expression in a time zone.

Pure functions of a Monitor's fields (no queries), used by monitoring.recording to move a
heartbeat's next_check_at after each ping, by monitoring.heartbeats to word an overdue, and by
Monitor.clean to validate a cron expression.

Cron schedules follow what cron itself does when the clocks change (crontab(5) of Debian's cron):
a fixed-time job (neither its minute nor its hour field starts with "*") whose time is skipped in
spring runs right after the change, and one whose time repeats in autumn runs once, at the first
occurrence. croniter gets the first right and reports the repeated time twice, so the second is
dropped here; without that a daily 02:30 job would be reported missing every autumn.
"""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

logger = logging.getLogger(__name__)

# How far ahead to look for a cron expression's next run: far enough for 29 February.
HORIZON_YEARS = 5


class ScheduleError(ValueError):
    """A bad cron expression or time zone. FIELD names the Monitor field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("cron_timezone", f"Unknown time zone “{name}”; use a name such as Europe/Paris.") from None


def check_cron(expr: str, tz: str) -> None:
    """Raise ScheduleError (a ValueError) unless EXPR is a five-field cron expression that runs in TZ."""
    zone = time_zone(tz)
    if not croniter.is_valid(expr) or len(croniter(expr).expressions) != 5:
        raise ScheduleError(
            "cron", f"“{expr}” is not a cron expression of five fields (minute hour day month weekday), e.g. 0 3 * * *."
        )
    try:
        next_run(expr, zone, datetime.now(UTC))
    except CroniterError:
        raise ScheduleError("cron", f"“{expr}” never runs.") from None


def _is_fixed_time(expr: str) -> bool:
    minute, hour = croniter(expr).expressions[:2]
    return not (minute.startswith("*") or hour.startswith("*"))


def _is_repeated_wall_time(moment: datetime, zone: ZoneInfo) -> bool:
    """True when MOMENT is the second occurrence of its wall-clock time (autumn's repeated hour)."""
    wall = moment.astimezone(zone).replace(tzinfo=None)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC) != moment.astimezone(UTC)


def next_run(expr: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first run of EXPR in ZONE strictly after AFTER, in UTC. CroniterError if there is none."""
    runs = croniter(expr, after.astimezone(zone), max_years_between_matches=HORIZON_YEARS)
    fixed = _is_fixed_time(expr)
    while True:
        run = runs.get_next(datetime)
        if not (fixed and _is_repeated_wall_time(run, zone)):
            return run.astimezone(UTC)


def watched_since(monitor, now: datetime) -> datetime:
    """The moment the current wait started: the last ping, or when the monitor was created or
    resumed (a state change), whichever is latest; NOW for a monitor that has none of these."""
    moments = [m for m in (monitor.last_ping_at, monitor.state_changed_at, monitor.created_at) if m]
    return max(moments, default=now)


def expected_at(monitor, now: datetime) -> datetime:
    """When the next ping is expected, before any grace."""
    since = watched_since(monitor, now)
    if monitor.cron:
        try:
            return next_run(monitor.cron, time_zone(monitor.cron_timezone), since)
        except ValueError as exc:
            # Monitor.clean refuses a bad schedule; one written behind its back must not make
            # every flush of pings fail, so the period stands in for it.
            logger.warning("heartbeat %s: cron schedule unusable (%s); using its period", monitor.pk, exc)
    return since + timedelta(seconds=monitor.period_seconds)


def next_deadline(monitor, now: datetime) -> datetime:
    """When the heartbeat becomes overdue: the next expected ping plus the grace."""
    return expected_at(monitor, now) + timedelta(seconds=monitor.grace_seconds)


def duration(seconds: float) -> str:
    """A duration the way people say it: 45 s, 5 min, 1 h 05 min, 2 d 3 h."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return f"{minutes} min"
    if seconds < 86400:
        return f"{hours} h" + (f" {minutes % 60:02d} min" if minutes % 60 else "")
    return f"{days} d" + (f" {hours % 24} h" if hours % 24 else "")


def overdue_reason(monitor, now: datetime) -> str:
    """Why MONITOR is down when its deadline has passed, in words, e.g.
    "no ping for 1 h 05 min; expected every 1 h with 5 min grace"."""
    since = watched_since(monitor, now)
    silence = duration((now - since).total_seconds())
    lead = f"no ping for {silence}" if monitor.last_ping_at else f"no ping yet in {silence}"
    grace = duration(monitor.grace_seconds)
    every = f"{lead}; expected every {duration(monitor.period_seconds)} with {grace} grace"
    if not monitor.cron:
        return every
    try:
        zone = time_zone(monitor.cron_timezone)
        expected = next_run(monitor.cron, zone, since).astimezone(zone)
    except ValueError:  # a broken schedule: expected_at fell back to the period
        return every
    when = f"{expected:%H:%M}" if now - expected < timedelta(hours=24) else f"{expected:%Y-%m-%d %H:%M}"
    return f"{lead}; expected at {when} {monitor.cron_timezone} (+{grace} grace)"
