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

Apps beside one another ask through these too (issue #16: they import incidents, never each other;
for a figure with one owner, see incidents.providers):
- incident_detection is sent while a post-mortem is drafted, with sender=Incident and
  incident=<Incident>: the app that opened the incident (by its source: monitoring, reputation)
  answers a Detection, what opened it and the earliest sign of trouble it has on record; the
  others answer None.
- incident_figures is sent then too, with the same arguments: each app answers {name: figures}
  of what it recorded about the incident (comms: "notifications", reputation: "mentions"), a
  fixed number of queries however long the incident ran.
- public_incident_extras is sent when the status page's snapshot is built, with sender=None and
  incident_ids (every incident the page shows); a receiver answers {incident id: [PublicSection,
  ...]}, read in bulk and holding only what its app has marked public (a published post-mortem).
  public_record_changed (sender=the changed model) says such a section changed: comms rebuilds
  the page.
- action_item_saved is sent by postmortems after the transaction that filed or changed an action
  item commits, with sender=ActionItem, item=<ActionItem>, created=<bool>, changed=<list of field
  names> and actor; `changed` names "target" when the item was given a new target (a DR plan to
  update: dr_plans flags it for review). What an item may point at: incidents.links.
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
incident_detection = Signal()
incident_figures = Signal()
public_incident_extras = Signal()
public_record_changed = Signal()
action_item_saved = Signal()


@dataclass(frozen=True)
class Detection:
    """What opened an incident, for people ("Monitor “API health”"), and the earliest sign of trouble
    on record (the first failing check, a spike's first hour), None when it is no longer kept."""

    text: str
    first_sign_at: datetime | None = None


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    text: str


@dataclass(frozen=True)
class PublicSection:
    """A titled block of public text on an incident's status page, with an optional timeline."""

    heading: str
    body: str
    published_at: datetime | None = None
    entries: list[PublicEntry] = field(default_factory=list)
    testid: str = "extra"


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
