"""What one app needs from another beside it, asked for through incidents: small registered providers.

The apps form a star around incidents (DESIGN.md, issue #16): monitoring, reputation, comms,
postmortems and dr_plans import incidents and vigil, never one another (tests/test_app_dependencies.py).
When one needs a figure or a service that another owns (the status page and the reports need
monitoring's uptime; post-mortems and DR plans send mail through the comms outbox; a DR drill's
findings become post-mortems' action items), it calls a provider declared here, and the app that
owns it registers its function in its AppConfig.ready():

    providers.component_uptime.register(uptime.component_seconds)     # MonitoringConfig.ready()

A provider has one implementation. Unregistered (its app is not installed), it answers its
default: no figures, no mail. Where several apps answer at once (what each recorded about an
incident), incidents.signals has a signal instead, as incident_page_panels does.
"""

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import IntegerField, QuerySet, Value


class Provider:
    """One function, registered by the app that owns what it answers; DEFAULT until then."""

    def __init__(self, name: str, default: Callable[..., Any]):
        self.name = name
        self.default = default
        self.function: Callable[..., Any] | None = None

    def register(self, function: Callable[..., Any]) -> Callable[..., Any]:
        if self.function is not None and self.function is not function:
            raise ImproperlyConfigured(f"{self.name} is provided by {self.function!r} already, not {function!r}.")
        self.function = function
        return function

    @property
    def registered(self) -> bool:
        return self.function is not None

    def __call__(self, *args, **kwargs):
        return (self.function or self.default)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Provider {self.name}: {self.function or 'default'}>"


# --- Monitoring's figures of components ------------------------------------------------------------


def _no_uptime(
    windows: Mapping[Hashable, tuple[datetime, datetime]], component_ids: Collection[int] | None = None, now=None
) -> dict:
    return {}


# {component id: {label: seconds}} for each window {label: (since, until)}: each figure has .monitored
# and .down (seconds), .monitors (how many had monitored time) and .uptime (a share, None when nothing
# was monitored). Components without monitors are left out. monitoring.uptime.component_seconds.
component_uptime = Provider("component_uptime", _no_uptime)

# {component id: when its first monitor was made}, for the components among COMPONENT_IDS that have
# monitors: where the status page's bars begin.
monitored_since = Provider("monitored_since", lambda component_ids: {})


def _no_monitors(components: QuerySet) -> QuerySet:
    none = Value(0, output_field=IntegerField())
    return components.annotate(monitors_total=none, monitors_up=none)


# COMPONENTS (a Component queryset) annotated with monitors_total (the monitors watching each, paused
# ones left out) and monitors_up (those of them up or degraded), in the same query: the component list.
annotate_component_monitors = Provider("annotate_component_monitors", _no_monitors)

# The monitors that went down most often in [start, end): [{"monitor": name, "downs": count,
# "dedup_key": the key of the incident their outage opens}], most first, at most LIMIT. The reports.
noisiest_monitors = Provider("noisiest_monitors", lambda start, end, limit: [])


# --- Mail through the comms outbox -----------------------------------------------------------------

# Email USERS (Vigil's people, at their account's address) SUBJECT and BODY through the outbox, one
# row each, sent after commit and retried like every message; returns the rows written. Action item
# reminders, DR plan notices. comms.services.notify_people.
email_people = Provider("email_people", lambda users, subject, body: 0)

# Email SUBJECT and BODY to the members of the stakeholder GROUPS (a queryset or ids) who have an
# address and have not opted out of email, once each, through the outbox; returns the rows written.
# Report digests. comms.services.notify_group_members.
email_group_members = Provider("email_group_members", lambda groups, subject, body: 0)


# --- Action items: what a drill's findings become -------------------------------------------------


class Refused(Exception):
    """The app behind a provider refused the request as things are; the message says why."""


def _no_action_items(actor, **fields):
    raise Refused("Action items cannot be filed: the post-mortems app is not installed.")


# File an action item for ACTOR: file_action_item(actor, title=..., source=<what raised it>,
# target=<what it changes>, kind=, priority=, owner=, due_date=, details=) -> the item; Refused, saying
# why, when it cannot be. Source and target are models registered in incidents.links. The DR drills'
# findings. postmortems.services.do_create_action_item.
file_action_item = Provider("file_action_item", _no_action_items)

# [item, ...]: the action items whose ROLE ("source" or "target") is OBJ, in their order (soonest due
# first), with their owner and target loaded. A drill's report, a DR plan's page.
action_items_linked = Provider("action_items_linked", lambda role, obj: [])

# An action item's kinds and priorities, for a form that files one: {"kind": (choices, default),
# "priority": (choices, default)}, the defaults a finding's (mitigate, medium).
action_item_choices = Provider("action_item_choices", lambda: {"kind": ([], None), "priority": ([], None)})


# --- Comms' word on whether people can be paged ---------------------------------------------------------

# {user id: why a high-urgency page would reach them by no method now} for the given users, only those who
# cannot be paged (comms.urgency.unpageable): the on-call pages flag them before their shift. Without comms, none.
unpageable = Provider("unpageable", lambda users: {})


def registered() -> Iterable[Provider]:
    """Every provider declared here (tests check each is registered)."""
    return [value for value in globals().values() if isinstance(value, Provider)]
