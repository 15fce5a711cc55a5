"""Logs that do not keep the secrets some URLs carry: hook tokens, ping UUIDs, signed links, feed tokens.

Many of Vigil's URLs are their own credential: an integration's hook token, a heartbeat's ping
UUID, the one-click acknowledge link, a status page subscriber's manage, confirm and code links,
iCalendar feed tokens, the voice-acknowledge token. An access log line with the full path hands
them to whoever reads the logs. Here they are replaced by MASK in what is logged.

Which parts of a URL are secret is read from the URL conf itself, not from a list of routes: every
captured parameter named as Vigil names credentials (SECRET_PARAMETERS; tests/test_access_log.py
checks that every captured parameter of every route is either one of these or declared not
secret), and query parameters whose names say they carry one (SECRET_QUERY).

Two users of it:
- MaskingLogger, gunicorn's access logger (gunicorn.conf.py names it): the request line, path,
  query, referrer (a page with a signed link in its URL is the Referer of its assets) and any
  request header or environ atom a custom format might print.
- MaskTokensFilter, on Django's log handler (settings.LOGGING): "Not Found: /path" and the like.

The route table is read on first use, in a worker, once Django is set up; if it cannot be read,
every path is cut to its first segment (nothing secret is logged, even then).
"""

import logging
import re
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

MASK = "***"
SECRET_PARAMETERS = frozenset({"token", "signed", "secret"})
SECRET_QUERY = re.compile(r"(?i)((?:^|&)[^&=]*(?:token|secret|signature|signed|password|key)[^&=]*=)[^&]*")
# Atoms of gunicorn's log format that may hold a URL, and request headers that are credentials.
URL_ATOMS = ("U", "{raw_uri}e", "{path_info}e", "{request_uri}e")
QUERY_ATOMS = ("q", "{query_string}e")
REFERER_ATOMS = ("f", "{referer}i", "{http_referer}e")
CREDENTIAL_ATOMS = ("{authorization}i", "{cookie}i", "{http_authorization}e", "{http_cookie}e")
REQUEST_LINE = re.compile(r"^([A-Z]+) (\S+)( HTTP/[\d.]+)$")


@cache
def _routes() -> tuple[tuple[re.Pattern, tuple[str, ...]], ...]:
    """(regex over a path without its leading "/", names of its secret groups) for each route with one."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def source(pattern) -> str:
        text = pattern.regex.pattern
        # A secret matches any one path segment, even one its converter would refuse (an upper-case
        # UUID is a 404, but still somebody's ping URL).
        for name, converter in getattr(pattern, "converters", {}).items():
            if name in SECRET_PARAMETERS:
                text = text.replace(f"(?P<{name}>{converter.regex})", f"(?P<{name}>[^/]+)")
        return text.removeprefix("^")

    def walk(resolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            here = prefix + source(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, here)
            elif isinstance(entry, URLPattern) and any(f"(?P<{name}>" in here for name in SECRET_PARAMETERS):
                secret = tuple(name for name in re.compile(here).groupindex if name in SECRET_PARAMETERS)
                if secret:
                    # A prefix match, with or without the final slash: a redirect to add it, or a 404
                    # for more after it, still carries the secret.
                    body = here.removesuffix(r"\Z").removesuffix("$")
                    if body.endswith("/"):
                        body = body[:-1] + r"(?:/|\Z)"
                    found.append((re.compile(body), secret))

    walk(get_resolver(), "")
    return tuple(found)


def mask_path(path: str) -> str:
    """PATH ("/ping/<uuid>/fail") with its secret segments replaced by MASK."""
    try:
        routes = _routes()
    except Exception:  # Django not set up, or a broken URL conf: keep only the first segment
        head = path.lstrip("/").split("/", 1)[0]
        return f"/{head}/{MASK}" if "/" in path.lstrip("/") else path
    bare = path[1:] if path.startswith("/") else path
    for regex, names in routes:
        match = regex.match(bare)
        if match:
            for name in sorted(names, key=match.start, reverse=True):
                start, end = match.span(name)
                bare = bare[:start] + MASK + bare[end:]
            break
    return ("/" if path.startswith("/") else "") + bare


def mask_query(query: str) -> str:
    return SECRET_QUERY.sub(lambda m: m.group(1) + MASK, query) if query else query


def mask_target(target: str) -> str:
    """A request target or a full URL (a Referer), with secrets in its path and query masked."""
    if not target or target == "-":
        return target
    parts = urlsplit(target)
    return urlunsplit(parts._replace(path=mask_path(parts.path), query=mask_query(parts.query)))


def mask_request_line(line: str) -> str:
    match = REQUEST_LINE.match(line or "")
    if not match:
        return mask_target(line)
    return f"{match.group(1)} {mask_target(match.group(2))}{match.group(3)}"


class MaskingLogger(Logger):
    """gunicorn's logger, whose access log masks the secrets in URLs (the format is unchanged)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = mask_request_line(atoms.get("r", ""))
        for key in URL_ATOMS + REFERER_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_target(atoms[key])
        for key in QUERY_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_query(atoms[key])
        for key in CREDENTIAL_ATOMS:
            if key in atoms:
                atoms[key] = MASK
        return atoms


class MaskTokensFilter(logging.Filter):
    """Masks paths and request lines passed as arguments of a log record ("Not Found: %s", path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(self._mask(arg) for arg in record.args)
        return True

    @staticmethod
    def _mask(value):
        if not isinstance(value, str):
            return value
        if value.startswith("/"):
            return mask_target(value)
        if REQUEST_LINE.match(value):
            return mask_request_line(value)
        return value
