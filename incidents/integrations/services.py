"""Actions on integrations (create, change, re-key, delete) and the facts the ingest paths share:
who acts for an integration, the dedup key of an alert group, an alert's timeline row, and the
integration's last-received time.

Alerts become incidents only through incidents.services (do_declare, do_resolve), called by the
ingest pipeline's paths (pipeline.py, paths/*.py).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from incidents.models import Component, EscalationPolicy, IncidentEvent, Integration
from vigil.audit import Actor, record

from . import buffer

# Integration.last_received_at is written at most this often, so a repeated alert stays one UPDATE.
LAST_RECEIVED_RESOLUTION = timedelta(minutes=1)
MAX_DEDUP_KEY = 200  # Incident.dedup_key's length


@dataclass(frozen=True)
class IntegrationActor(Actor):
    """Who acts when an alert opens or resolves an incident: the integration, by name."""

    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.via


def actor_for(integration: Integration) -> IntegrationActor:
    # AuditEntry.via holds at most 10 characters.
    return IntegrationActor(via="webhook", name=integration.name)


def dedup_key_for(integration: Integration, group_key: str) -> str:
    """The incident dedup key of an alert group: the same group joins the same open incident."""
    key = f"integration:{integration.pk}:{group_key}"
    if len(key) > MAX_DEDUP_KEY:
        key = f"integration:{integration.pk}:sha256:{hashlib.sha256(group_key.encode()).hexdigest()}"
    return key


def alert_event(
    integration: Integration, incident_id: int, alert_id: int, fingerprint: str, message: str
) -> IncidentEvent:
    """The timeline row (unsaved) of an alert joining or leaving an incident."""
    return IncidentEvent(
        incident_id=incident_id,
        kind=IncidentEvent.Kind.ALERT,
        message=message,
        actor_label=actor_for(integration).label,
        data={"alert": alert_id, "fingerprint": fingerprint, "integration": integration.pk},
    )


def note_received(integration_id: int, last_received_at: datetime | None, now: datetime) -> bool:
    """Move the integration's last-received time to NOW if it is older than LAST_RECEIVED_RESOLUTION.

    True if it was written.
    """
    if last_received_at is None or now - last_received_at >= LAST_RECEIVED_RESOLUTION:
        Integration.objects.filter(pk=integration_id).update(last_received_at=now)
        return True
    return False


def note_integration_received(integration: Integration, now: datetime) -> None:
    if note_received(integration.pk, integration.last_received_at, now):
        integration.last_received_at = now  # it may be cached, and reused (access.py)


# --- Managing integrations -------------------------------------------------------------


@transaction.atomic
def do_create_integration(
    actor: Actor,
    *,
    name: str,
    kind: str,
    severity: str | None = None,
    components: Iterable[Component] = (),
    escalation_policy: EscalationPolicy | None = None,
    auto_resolve: bool = True,
    enabled: bool = True,
    team=None,
    token: str | None = None,
) -> Integration:
    """TOKEN: the secret of the sender's URL when one is already in use elsewhere (an install moved
    by configuration as code); by default a new one."""
    integration = Integration(
        name=name,
        kind=kind,
        team=team,
        escalation_policy=escalation_policy,
        auto_resolve=auto_resolve,
        enabled=enabled,
        created_by=actor.user,
    )
    if severity:
        integration.severity = severity
    if token:
        integration.token = token
        integration.full_clean()
    integration.save()
    integration.components.set(components)
    record(actor, "integration.create", integration, kind=kind)
    return integration


EDITABLE = {"name", "team", "severity", "components", "escalation_policy", "auto_resolve", "enabled"}


@transaction.atomic
def do_update_integration(actor: Actor, integration: Integration, **changes) -> Integration:
    """Change an integration's settings. The kind and the token are not among them."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    components = changes.pop("components", None)
    for name, value in changes.items():
        setattr(integration, name, value)
    if changes:
        integration.save(update_fields=list(changes))
    if components is not None:
        integration.components.set(components)
    changed = sorted(changes) + (["components"] if components is not None else [])
    record(actor, "integration.update", integration, fields=changed)
    return integration


@transaction.atomic
def do_rotate_token(actor: Actor, integration: Integration) -> Integration:
    """A new secret URL. The old one answers 404 from now on."""
    buffer.forget_token(integration.token)
    integration.token = Integration._meta.get_field("token").get_default()
    integration.save(update_fields=["token"])
    record(actor, "integration.rotate_token", integration)  # never the token itself
    return integration


@transaction.atomic
def do_set_token(actor: Actor, integration: Integration, token: str) -> Integration:
    """Give the integration a secret chosen elsewhere (configuration as code reads it from the
    environment). The old one answers 404 from now on."""
    buffer.forget_token(integration.token)
    integration.token = token
    integration.full_clean()
    integration.save(update_fields=["token"])
    record(actor, "integration.set_token", integration)  # never the token itself
    return integration


@transaction.atomic
def do_delete_integration(actor: Actor, integration: Integration) -> None:
    record(actor, "integration.delete", integration, kind=integration.kind)
    integration.delete()
