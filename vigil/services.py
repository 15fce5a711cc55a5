"""Actions on Vigil's own objects: API keys and worker heartbeats."""

import os
import socket

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .audit import Actor, record
from .models import ApiKey, WorkerHeartbeat
from .people import is_service_account


class PermissionDenied(Exception):
    pass


@transaction.atomic
def do_create_api_key(actor: Actor, user, name: str) -> tuple[ApiKey, str]:
    """Create a key for USER. Returns the row and the raw key, which is never stored."""
    if actor.user is not None and actor.user != user and not actor.user.has_perm("vigil.change_apikey"):
        raise PermissionDenied("Only an admin may create keys for someone else.")
    if is_service_account(user):
        # Its key would outlive the service key's expiry and revocation.
        raise PermissionDenied("A service key's account cannot hold personal API keys.")
    raw = ApiKey.generate()
    key = ApiKey.objects.create(user=user, name=name, prefix=raw[: len(ApiKey.PREFIX) + 6], hashed_key=ApiKey.hash(raw))
    record(actor, "api_key.create", key, owner=user.get_username())
    return key, raw


def can_manage_api_key(user, key: ApiKey) -> bool:
    return key.user_id == user.pk or user.has_perm("vigil.change_apikey")


@transaction.atomic
def do_revoke_api_key(actor: Actor, key: ApiKey) -> ApiKey:
    if actor.user is not None and not can_manage_api_key(actor.user, key):
        raise PermissionDenied("You may revoke only your own keys.")
    # Conditional update: revoking twice keeps the first time.
    if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        record(actor, "api_key.revoke", key, owner=key.user.get_username())
    key.refresh_from_db()
    return key


def do_record_heartbeat(hostname: str | None = None) -> WorkerHeartbeat:
    hostname = hostname or socket.gethostname()
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(
        last_seen=now, beats=F("beats") + 1, pid=os.getpid()
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            hostname=hostname, defaults={"last_seen": now, "beats": 1, "pid": os.getpid()}
        )
    return WorkerHeartbeat.objects.get(hostname=hostname)


def worker_status() -> dict:
    now = timezone.now()
    workers = list(WorkerHeartbeat.objects.all())
    return {"workers": workers, "alive": any(w.is_alive(now) for w in workers), "now": now}
