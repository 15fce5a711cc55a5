"""The audit log: record who did what to which object, when and from where."""

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from .models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is acting, and through what. Service functions take one of these."""

    user: object | None = None
    ip: str | None = None
    via: str = "system"
    user_agent: str = ""

    @classmethod
    def from_request(cls, request, via: str = "web") -> "Actor":
        user = request.user if request.user.is_authenticated else None
        if getattr(request, "auth", None) is not None:
            via = "api"
        return cls(user=user, ip=client_ip(request), via=via, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])

    @property
    def label(self) -> str:
        return self.user.get_username() if self.user else self.via


SYSTEM = Actor()

# The address of the request being served, for audit rows written by code that has
# no request at hand (Django admin's LogEntry receiver). Set by AuditContextMiddleware.
_request_ip: ContextVar[str | None] = ContextVar("vigil_request_ip", default=None)
# What every audit entry the request writes carries besides its own details (vigil.managed's
# `managed_by_config` under "warn"): a fresh dict per request, so nothing leaks into the next one.
_request_notes: ContextVar[dict | None] = ContextVar("vigil_request_notes", default=None)


def current_request_ip() -> str | None:
    return _request_ip.get()


@contextlib.contextmanager
def request_context(request):
    """While serving REQUEST, audit entries carry its client's address and the request's notes."""
    token, notes = _request_ip.set(client_ip(request)), _request_notes.set({})
    try:
        yield
    finally:
        _request_notes.reset(notes)
        _request_ip.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_context(request):
            return self.get_response(request)


def note(**details) -> None:
    """Add DETAILS to every audit entry the request being served writes from now on (none outside one)."""
    notes = _request_notes.get()
    if notes is not None:
        notes.update(details)


def client_ip(request) -> str | None:
    """The client's address. X-Forwarded-For is trusted only for configured proxies."""
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = settings.AXES_IPWARE_PROXY_COUNT
    if hops and forwarded:
        parts = [p.strip() for p in forwarded.split(",") if p.strip()]
        if len(parts) >= hops:
            return parts[-hops]
    return request.META.get("REMOTE_ADDR") or None


def record(actor: Actor, action: str, target=None, **details) -> AuditEntry:
    entry = AuditEntry(
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        details={**(_request_notes.get() or {}), **details},
        ip=actor.ip,
        via=actor.via,
        user_agent=actor.user_agent,
    )
    if target is not None:
        entry.target_type = ContentType.objects.get_for_model(target)
        entry.target_id = str(target.pk)
        entry.target_label = str(target)[:200]
    entry.save()
    return entry
