"""Which integration a sender's URL names: the secret in the URL is the credential.

With the repeat buffer (buffer.py), each process also keeps the integrations it looked up, under
the generation its token had in Redis before the lookup (count() returns it). Any change to an
integration sets a generation never seen before (receivers.py, services.do_rotate_token), so an
entry is used only while nothing changed. Entries also expire, and a Redis failure (Redis may
have lost the generations) drops them all (forget_all). This spares a new alert one query.
"""

import time

from incidents.models import Integration

CACHE_SECONDS = 60
CACHE_MAX = 1000
# (kind, token) -> (generation, monotonic expiry, integration)
_cache: dict[tuple[str, str], tuple[str, float, Integration]] = {}


def access_integration(kind: str, token: str, generation: str | None = None) -> Integration | None:
    """The enabled integration of KIND whose secret is TOKEN, or None.

    With GENERATION (the token's in Redis, read before this), a copy this process read under the
    same generation is returned without a query; a lookup is kept under it.
    """
    if generation is None:
        return _lookup(kind, token)
    entry = _cache.get((kind, token))
    if entry is not None and entry[0] == generation and entry[1] >= time.monotonic():
        return entry[2]
    integration = _lookup(kind, token)
    if integration is not None:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()  # only a flood of integrations gets here; cheaper than an LRU
        _cache[(kind, token)] = (generation, time.monotonic() + CACHE_SECONDS, integration)
    return integration


def forget_all() -> None:
    """Redis failed: the generations the cached copies were checked against may be gone."""
    _cache.clear()


def _lookup(kind: str, token: str) -> Integration | None:
    # One query on the token's unique index.
    try:
        integration = Integration.objects.get(token=token)
    except Integration.DoesNotExist:
        return None
    return integration if integration.enabled and integration.kind == kind else None
