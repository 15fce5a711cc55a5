"""Who hears a public update.

The audience of an incident is
- the members of the groups chosen for it (IncidentAudience), except a member whose
  component interests are set and miss every affected component;
- and every stakeholder interested in one of the affected components.
A stakeholder with no component interests hears about every incident of their groups.

count() says how many messages an update would make, by medium, before it is posted (the
Update composer's Notify line, through incidents.signals.update_audience): the rows
comms.outbox._update_rows would write, counted with grouped COUNT queries instead of built.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When

from incidents.models import IncidentComponent

from .models import Endpoint, IncidentAudience, Medium, Stakeholder, StakeholderGroup, Subscriber


def chosen_groups(incident) -> QuerySet:
    audience = IncidentAudience.objects.filter(incident=incident).first()
    return audience.groups.all() if audience else StakeholderGroup.objects.none()


def affected_component_ids(incident) -> list[int]:
    return list(IncidentComponent.objects.filter(incident=incident).values_list("component_id", flat=True))


def addressed(incident) -> Iterator[tuple[int, str, str]]:
    """(stakeholder pk, medium, address) for each medium each stakeholder who hears INCIDENT can be reached
    by (Stakeholder.reach), read as plain values in chunks: planning streams them (comms.outbox)."""
    people = select(incident).values_list("pk", "email", "phone", "channels", "opted_out")
    for pk, email, phone, channels, opted_out in people.iterator(chunk_size=2000):
        for medium, address in Stakeholder.reach(channels, opted_out, email, phone):
            yield pk, medium, address


def select(incident, component_ids: list[int] | None = None) -> QuerySet:
    """The stakeholders who hear INCIDENT, affecting COMPONENT_IDS (None: its affected components now)."""
    affected = affected_component_ids(incident) if component_ids is None else list(component_ids)
    in_group = Q(groups__in=chosen_groups(incident)) & (Q(components__isnull=True) | Q(components__in=affected))
    interested = Q(components__in=affected)
    ids = Stakeholder.objects.filter(in_group | interested).values("pk")
    return Stakeholder.objects.filter(pk__in=ids).order_by("pk")


@dataclass
class Reach:
    """What count() found: people, endpoints, and messages by medium (one outbox row each)."""

    stakeholders: int = 0
    subscribers: int = 0
    endpoints: int = 0
    by_medium: Counter = field(default_factory=Counter)


def _reachable(channels, opted_out, has: dict[str, bool]) -> list[str]:
    """Stakeholder.reachable_by() for a group of stakeholders alike in these columns."""
    return [m for m in channels or [] if m not in (opted_out or []) and has.get(m, False)]


def _has_address() -> dict:
    present = {"email": ~Q(email=""), "phone": ~Q(phone="")}
    return {
        f"has_{name}": Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
        for name, condition in present.items()
    }


def _media(row: dict) -> list[str]:
    has = {Medium.EMAIL: row["has_email"], Medium.SMS: row["has_phone"], Medium.VOICE: row["has_phone"]}
    return _reachable(row["channels"], row["opted_out"], has)


def count(incident, component_ids: list[int] | None = None) -> Reach:
    """The messages a public update of INCIDENT would make now, by medium, as comms.outbox._update_rows
    writes them: each audience stakeholder once per medium it can be reached by, every enabled endpoint,
    and each confirmed subscriber to an affected component (or to all) not already reached at the same
    address by a stakeholder. Stakeholders are grouped by the columns reachable_by() reads, so the
    query returns a handful of groups however many thousands of people there are."""
    affected = affected_component_ids(incident) if component_ids is None else list(component_ids)
    result = Reach()
    people = select(incident, affected).order_by()
    groups = people.annotate(**_has_address()).values("channels", "opted_out", "has_email", "has_phone")
    for row in groups.annotate(n=Count("pk")):
        media = _media(row)
        result.stakeholders += row["n"] if media else 0
        for medium in media:
            result.by_medium[medium] += row["n"]
    for kind, n in Endpoint.objects.filter(enabled=True).order_by().values_list("kind").annotate(n=Count("pk")):
        result.endpoints += n
        result.by_medium[kind] += n
    subscribers = Subscriber.objects.interested_in(affected).order_by()
    by_kind = Counter(dict(subscribers.values_list("kind").annotate(n=Count("pk"))))
    for kind, n in _heard_twice(people, subscribers).items():
        by_kind[kind] -= n
    for kind, n in by_kind.items():
        result.subscribers += n
        result.by_medium[kind] += n
    return result


def _heard_twice(people: QuerySet, subscribers: QuerySet) -> Counter:
    """Subscribers whose address a stakeholder of PEOPLE is reached at by the same medium: they hear once.
    Reads only the stakeholders sharing an address with a subscriber (a few), then counts the matches."""
    emails = subscribers.filter(kind=Subscriber.Kind.EMAIL).values("address")
    phones = subscribers.filter(kind=Subscriber.Kind.SMS).values("address")
    shared = people.filter(Q(email__in=emails) | Q(phone__in=phones)).annotate(**_has_address())
    heard = {Medium.EMAIL: set(), Medium.SMS: set()}
    for row in shared.values("channels", "opted_out", "has_email", "has_phone", "email", "phone"):
        for medium in _media(row):
            if medium in heard:
                heard[medium].add(row["email"] if medium == Medium.EMAIL else row["phone"])
    twice = Counter()
    for kind, addresses in heard.items():
        if addresses:
            twice[kind] = subscribers.filter(kind=kind, address__in=addresses).count()
    return twice
