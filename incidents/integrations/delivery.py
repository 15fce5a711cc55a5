"""What the ingest pipeline hands each of its paths (a Delivery), and what a path hands back (an IngestResult)."""

import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.utils import timezone

from incidents.models import Integration

from .access import access_integration
from .parsers import ParsedAlert


@dataclass
class Delivery:
    """One payload's alerts, posted to the URL of KIND and TOKEN (not yet checked), at NOW.

    The paths note here what they learnt on the way, for the paths after them.
    """

    kind: str
    token: str
    alerts: list[ParsedAlert]
    now: datetime = field(default_factory=lambda: timezone.now())  # looked up at each call: tests move the clock
    # time.monotonic() before any database read: buffer.remember checks its age.
    read_at: float = field(default_factory=time.monotonic)
    # The token's generation in Redis, read by the buffered path (None without the buffer).
    generation: str | None = None
    # The fingerprint the one-repeat path failed to count: the general path need not try again.
    tried_repeat: str | None = None

    @cached_property
    def latest(self) -> dict[str, ParsedAlert]:
        """Fingerprint -> alert. An alert twice in one payload counts once, and the last one wins."""
        return {alert.fingerprint: alert for alert in self.alerts}

    @property
    def all_firing(self) -> bool:
        return all(alert.firing for alert in self.alerts)

    @cached_property
    def integration(self) -> Integration | None:
        """The enabled integration the URL names, or None: looked up once, when a path first asks."""
        return access_integration(self.kind, self.token, self.generation)


@dataclass
class IngestResult:
    """What one payload did. Returned to the sender as the response body."""

    alerts: int = 0
    new: int = 0  # alerts seen firing for the first time
    repeated: int = 0  # firing alerts already known: counted, nothing else
    resolved: int = 0  # firing alerts marked resolved
    ignored: int = 0  # resolved alerts that were not firing here
    incidents_opened: list[int] = field(default_factory=list)
    incidents_joined: list[int] = field(default_factory=list)
    incidents_resolved: list[int] = field(default_factory=list)
    # Not sent back: fingerprint -> (alert id, incident id) of the alerts now firing in an open
    # incident, which later repeats may be counted against (buffer.remember).
    firing: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        return {
            "alerts": self.alerts,
            "new": self.new,
            "repeated": self.repeated,
            "resolved": self.resolved,
            "ignored": self.ignored,
            "incidents": {
                "opened": self.incidents_opened,
                "joined": sorted(set(self.incidents_joined)),
                "resolved": self.incidents_resolved,
            },
        }
