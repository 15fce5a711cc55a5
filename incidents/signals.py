"""What incidents announce. comms, postmortems and dr_plans listen; incidents imports none of them.

Each signal is sent after the transaction that made the change commits, with
sender=Incident, incident=<Incident> and actor=<vigil.audit.Actor>.
incident_update_posted also carries update=<IncidentUpdate>; page_requested carries
page=<Page> (sender=Page) and is how the comms app delivers pages by SMS, voice and email.

incident_page_panels is sent while the incident page renders, with sender=Incident,
incident=<Incident> and request=<HttpRequest>; each receiver returns HTML (safe, rendered
from its own template) or "", shown below the incident's state and actions, in order of
connection. A receiver that raises is logged and left out: the page still renders.

update_audience is sent to learn who a public update would reach before it is posted (the
Update composer's *Notify* line and the incident header's "next update due"), with
sender=Incident, incident=<Incident>, components (component id -> status: the affected
components the update would leave; None: as they are now), status and message (the update's;
"" when only counting). Each receiver returns an UpdateAudience; incidents.views adds them up.
A receiver counts with COUNT queries, never by building the rows it counts, and must count
exactly the rows that posting would write at that moment.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.dispatch import Signal

incident_declared = Signal()
incident_acknowledged = Signal()
incident_status_changed = Signal()
incident_severity_changed = Signal()
incident_update_posted = Signal()
incident_resolved = Signal()
incident_reopened = Signal()
page_requested = Signal()
incident_page_panels = Signal()
update_audience = Signal()


@dataclass
class UpdateAudience:
    """Who a public update reaches, and when the next one is due: a receiver of update_audience answers one.

    by_medium counts the messages by medium ("email", "sms", "voice", "webhook", "slack", "mastodon"):
    one outbox row each. stakeholders and subscribers count people (a person with two media is one
    person and two messages); endpoints the Slack channels, webhooks and accounts every update goes to.
    preview holds what would be sent ("subject", "email", "sms"), when a message was given.
    """

    stakeholders: int = 0
    subscribers: int = 0
    endpoints: int = 0
    by_medium: dict[str, int] = field(default_factory=dict)
    next_update_due: datetime | None = None
    every_minutes: int | None = None
    preview: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return sum(self.by_medium.values())

    def add(self, other: "UpdateAudience") -> "UpdateAudience":
        media = dict(self.by_medium)
        for medium, count in other.by_medium.items():
            media[medium] = media.get(medium, 0) + count
        return UpdateAudience(
            stakeholders=self.stakeholders + other.stakeholders,
            subscribers=self.subscribers + other.subscribers,
            endpoints=self.endpoints + other.endpoints,
            by_medium=media,
            next_update_due=self.next_update_due or other.next_update_due,
            every_minutes=self.every_minutes or other.every_minutes,
            preview=self.preview or other.preview,
        )
