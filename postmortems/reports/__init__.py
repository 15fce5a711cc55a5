"""The reports: incident figures, noise, action items and uptime against SLOs (postmortems.reports.figures),
drawn as inline SVG (postmortems.reports.charts) and served as a page, CSV and API."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db import connection, transaction
from django.utils import timezone

from . import figures
from .period import Period, PeriodError
from .tables import Table

__all__ = ["TABLE_KEYS", "Period", "PeriodError", "Report", "Table", "build"]


@dataclass
class Report:
    period: Period
    generated_at: datetime
    tables: dict[str, Table]

    def __getitem__(self, key: str) -> Table:
        return self.tables[key]


class Inputs:
    """What the tables are made from; the incident groups are read once for the four tables made from them."""

    def __init__(self, period: Period, now: datetime):
        self.period, self.now = period, now

    @cached_property
    def groups(self) -> list[dict]:
        return figures.incident_groups(self.period)


# The memory PostgreSQL may give each sort or hash of the report's queries: a 1,000,000-incident year's join
# takes 47 MB.
REPORT_WORK_MEM = "64MB"

# Each table, by key, from the inputs.
BUILDERS = {
    "summary": lambda i: figures.summary(i.groups),
    "monthly": lambda i: figures.monthly(i.period, i.groups),
    "severity": lambda i: figures.by_severity(i.groups),
    "components": lambda i: figures.by_component(i.period),
    "sources": lambda i: figures.by_source(i.groups),
    "monitors": lambda i: figures.noisiest_monitors(i.period),
    "alerts": lambda i: figures.noisiest_alerts(i.period),
    "action_items": lambda i: figures.action_items(i.period, timezone.localtime(i.now).date()),
    "uptime": lambda i: figures.uptime(i.now),
}
TABLE_KEYS = list(BUILDERS)


def build(period: Period, now: datetime | None = None, only: list[str] | None = None) -> Report:
    """The tables of the report for PERIOD (ONLY those keys if given): eight queries for all of them,
    whatever the amount of data."""
    now = now or timezone.now()
    keys = TABLE_KEYS if only is None else only
    inputs = Inputs(period, now)
    with _memory_for_a_large_year():
        tables = {key: BUILDERS[key](inputs) for key in keys}
    return Report(period=period, generated_at=now, tables=tables)


@contextmanager
def _memory_for_a_large_year():
    """On PostgreSQL, the report's queries in one transaction with REPORT_WORK_MEM. Each figure is one pass over
    the period's incidents; past about 100,000 of them, the join of incidents and their components outgrows the
    default work_mem (4 MB) and its hash is written to temporary files in 8 batches (EXPLAIN ANALYZE on
    1,000,000; issue #23). SET LOCAL ends with the transaction, so no other query gets the memory."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = %s", [REPORT_WORK_MEM])
        yield
