"""Alerts in: the one flow every payload goes through, whatever the format it came in.

A front door parses its payload into ParsedAlerts (parsers.py) and calls ingest(): the
Alertmanager, Grafana and generic webhooks (views.ingest) do, and so must any compatible API
(PagerDuty's Events v2, Opsgenie's): a new format is a parser, never a new path to the database.

ingest() tries each path in order, cheapest first (paths/__init__.py); the first that takes the
payload answers, and the general path takes anything sent to an enabled integration's URL. Then,
whichever path took it, the alerts it found firing in an open incident are marked in Redis once
its writes commit, so that their next repeats are counted there (paths/buffered.py).
"""

from .delivery import Delivery, IngestResult
from .parsers import ParsedAlert
from .paths import buffered, general, join, repeat

PATHS = (buffered.take, repeat.take, join.take, general.take)


def ingest(kind: str, token: str, alerts: list[ParsedAlert]) -> IngestResult | None:
    """Take in ALERTS posted to the URL of KIND and TOKEN. None when no enabled integration has it."""
    delivery = Delivery(kind, token, alerts)
    for take in PATHS:
        result = take(delivery)
        if result is not None:
            buffered.remember(delivery, result)
            return result
    return None
