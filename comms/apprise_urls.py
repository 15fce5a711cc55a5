"""Apprise URLs (Telegram, Discord, Matrix, Pushover, Gotify, json://...): reading one, and sending through it.

An Apprise URL is a credential: a bot token, a webhook key, a user:password. So:

- Apprise is run with an asset (ASSET's settings, below) that loads no plugin from the filesystem, keeps
  nothing on disk, follows no redirect, sends one service at a time and gives up after
  VIGIL_HTTP_DEADLINE seconds.
- Apprise logs through the `apprise` logger, and some of its lines name the URL (an unparseable URL is
  logged whole at ERROR; its debug lines name paths and partial tokens). That logger does not reach
  Vigil's handlers: quiet() stops it propagating and keeps, for the current call only, the warnings
  and errors, from which failure_reason() makes the outbox row's error with every piece of the URL
  that may be secret blotted out.
- Apprise makes its own HTTP requests (with `requests`), not through vigil.http, so the address guard
  there does not cover them. What we can do, and do: before each send, a URL whose plugin takes a
  network host (json://, form://, xml://, gotify://, matrix://, mailto://... any with a {host} in its
  templates) has that host resolved and every address checked against vigil.net's rule with the
  webhooks' allow-list (VIGIL_OUTBOUND_ALLOWED_NETWORKS). The limit, honestly: Apprise resolves the
  name again when it connects, so DNS that answers differently the second time (rebinding) is not
  caught, and a cloud service's fixed API host (api.telegram.org) is not checked (it is public).
"""

import contextlib
import logging
import re
import socket
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from apprise.utils.parse import parse_urls
from django.conf import settings
from django.core.exceptions import ValidationError

from vigil import http, net

LOGGER = logging.getLogger("apprise")
_local = threading.local()


class _Keep(logging.Handler):
    """Keeps the apprise logger's warnings and errors for the call in progress on this thread (quiet())."""

    def emit(self, record: logging.LogRecord) -> None:
        kept = getattr(_local, "kept", None)
        if kept is not None:
            with contextlib.suppress(Exception):
                kept.append(record.getMessage())


# Never to Vigil's console: its lines may name the URL (module docstring).
LOGGER.propagate = False
LOGGER.setLevel(logging.WARNING)
LOGGER.addHandler(_Keep(level=logging.WARNING))


@contextlib.contextmanager
def quiet():
    """Collect what Apprise logs during the block (a list of lines), and show none of it."""
    _local.kept = []
    try:
        yield _local.kept
    finally:
        _local.kept = None


def asset() -> apprise.AppriseAsset:
    """Apprise's settings for Vigil: nothing read from or written to disk, no redirects, one deadline."""
    return apprise.AppriseAsset(
        plugin_paths=[],
        storage_mode="memory",
        service_timeout=settings.VIGIL_HTTP_DEADLINE,
        secure_logging=True,
        async_mode=False,
        http_redirects=False,
        pgp_autogen=False,
        pem_autogen=False,
        allow_templates=False,
    )


def service(url: str):
    """The Apprise service URL names, or None when Apprise cannot read it (or it names several)."""
    if not isinstance(url, str) or not url.strip() or len(parse_urls(url)) != 1:
        return None
    with quiet():
        return apprise.Apprise.instantiate(url.strip(), asset=asset())


def validate_apprise_url(url: str) -> None:
    """A ValidationError unless URL is one Apprise URL this install's Apprise can send to."""
    if service(url) is None:
        raise ValidationError(
            "Apprise cannot use this URL: check its scheme (tgram://, discord://, json://...) and its parts "
            "(https://github.com/caronc/apprise/wiki lists each service's form). Give one URL only."
        )


def network_host(plugin) -> tuple[str, int | None] | None:
    """(host, port) when PLUGIN's URL names a network host of the user's choosing; None for a cloud service
    whose first part is a token (tgram://<bot token>/..., discord://<id>/<token>)."""
    if "host" not in getattr(plugin, "template_tokens", {}) or not getattr(plugin, "host", ""):
        return None
    return plugin.host, getattr(plugin, "port", None)


def check_address(plugin) -> None:
    """Resolve PLUGIN's host and apply vigil.net's rule to each address (module docstring for the limits).

    http.RefusedAddress when one is refused (permanent); OSError when the name does not resolve (transient).
    """
    target = network_host(plugin)
    if target is None:
        return
    host, port = target
    infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    policy = http.outbound_policy()
    for address in dict.fromkeys(info[4][0] for info in infos):
        try:
            policy.check(address)
        except net.ForbiddenAddress as exc:
            raise http.RefusedAddress(host, address, exc.reason) from None


def secret_parts(url: str) -> list[str]:
    """The pieces of URL that may be a credential: user, password, host, each path segment, each query value."""
    try:
        parts = urlsplit(url)
        pieces = [parts.username, parts.password, parts.hostname, parts.netloc]
        pieces += [unquote(s) for s in parts.path.split("/")]
        pieces += [value for _, value in parse_qsl(parts.query)]
    except ValueError:
        pieces = []
    pieces += re.split(r"[/:@?&=]+", url.partition("://")[2])
    return sorted({p for p in pieces if p and len(p) >= 3}, key=len, reverse=True)


def failure_reason(url: str, lines: list[str]) -> str:
    """What Apprise said went wrong, without any part of URL (module docstring)."""
    reason = " ".join(lines[-3:]) or "Apprise reported a failure and gave no reason."
    for piece in secret_parts(url):
        reason = reason.replace(piece, "•••")
    return reason[:1000]
