"""What to probe: one frozen dataclass per probe kind, checked when it is made.

A bad value raises ProbeConfigError, a ValueError whose `field` names the culprit, so the model
and form layer can reuse these checks and attach the message to the right field.
"""

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .result import format_size

MAX_TIMEOUT = 60.0
DEFAULT_MAX_BODY = 1 << 20
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DNS_RECORD_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "TXT"})

_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)", re.IGNORECASE)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+", re.IGNORECASE)
_STATUS_RANGE = re.compile(r"(\d)xx|(\d{3})(?:-(\d{3}))?", re.IGNORECASE)


class ProbeConfigError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def _check(ok: bool, field_name: str, message: str) -> None:
    if not ok:
        raise ProbeConfigError(field_name, message)


def _check_timeout(timeout: float) -> None:
    ok = isinstance(timeout, int | float) and not isinstance(timeout, bool) and 0 < timeout <= MAX_TIMEOUT
    _check(ok, "timeout", f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}")


def _check_port(port: int, field_name: str = "port") -> None:
    ok = isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535
    _check(ok, field_name, "must be a whole number from 1 to 65535")


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_host_name(host: str) -> bool:
    """A DNS name (underscores allowed, for names like _dmarc.example.com) or an IP address."""
    if not isinstance(host, str) or not host:
        return False
    if is_ip_address(host):
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.removesuffix(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def _check_host(host: str, field_name: str = "host") -> None:
    _check(is_host_name(host), field_name, "must be a host name or an IP address")


def _check_ca_pem(ca_pem: str) -> None:
    ok = isinstance(ca_pem, str) and (not ca_pem or "-----BEGIN CERTIFICATE-----" in ca_pem)
    _check(ok, "ca_pem", "must be empty or PEM text with at least one CERTIFICATE block")


def parse_status_ranges(spec: str) -> tuple[tuple[int, int], ...]:
    """'200-299, 301' or '2xx,304' -> ((200, 299), (301, 301)); ValueError on anything else."""
    ranges = []
    for part in spec.split(","):
        match = _STATUS_RANGE.fullmatch(part.strip())
        if not match:
            raise ValueError(part.strip())
        if match[1]:
            low, high = int(match[1]) * 100, int(match[1]) * 100 + 99
        else:
            low, high = int(match[2]), int(match[3] or match[2])
        if not 100 <= low <= high <= 599:
            raise ValueError(part.strip())
        ranges.append((low, high))
    return tuple(ranges)


def _normalize_headers(headers) -> tuple[tuple[str, str], ...]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    try:
        pairs = tuple((str(name), str(value)) for name, value in items)
    except (TypeError, ValueError):
        raise ProbeConfigError("headers", "must be a mapping or a list of (name, value) pairs") from None
    for name, value in pairs:
        _check(bool(_HEADER_NAME.fullmatch(name)), "headers", f"{name!r} is not a valid header name")
        _check("\r" not in value and "\n" not in value, "headers", f"the value of {name} has a line break")
    return pairs


@dataclass(frozen=True, slots=True)
class HttpProbe:
    """An HTTP(S) request, judged by its status, an optional keyword and its latency.

    headers may be given as a mapping or as (name, value) pairs; they are kept as a tuple of pairs,
    so the probe stays hashable. expected_status lists codes and ranges: "200-299, 301" or "2xx".
    The body is read up to max_body_bytes; a larger one fails the probe, as blackbox exporter's
    body_size_limit does. ca_pem, when given, replaces the system's trust store.
    """

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    expected_status: str = "200-299"
    keyword: str = ""
    keyword_absent: bool = False
    degraded_after_ms: int | None = None
    follow_redirects: bool = True
    max_redirects: int = 10
    timeout: float = 10.0
    verify_tls: bool = True
    ca_pem: str = ""
    max_body_bytes: int = DEFAULT_MAX_BODY
    status_ranges: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        parts = urlsplit(self.url) if isinstance(self.url, str) else None
        _check(parts is not None and parts.scheme in ("http", "https"), "url", "must start with http:// or https://")
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked)
        except ValueError:
            raise ProbeConfigError("url", "has an invalid port") from None
        _check(is_host_name(parts.hostname or ""), "url", "must name a host")
        _check(self.method in HTTP_METHODS, "method", f"must be one of {', '.join(sorted(HTTP_METHODS))}")
        object.__setattr__(self, "headers", _normalize_headers(self.headers))
        _check(isinstance(self.body, str), "body", "must be text")
        try:
            object.__setattr__(self, "status_ranges", parse_status_ranges(self.expected_status))
        except (ValueError, AttributeError):
            raise ProbeConfigError(
                "expected_status", "must list codes or ranges, e.g. '200-299, 301' or '2xx'"
            ) from None
        _check(isinstance(self.keyword, str), "keyword", "must be text")
        _check(bool(self.keyword) or not self.keyword_absent, "keyword_absent", "needs a keyword")
        _check(not self.keyword or self.method != "HEAD", "keyword", "cannot be checked on a HEAD request")
        threshold = self.degraded_after_ms
        _check(
            threshold is None or (isinstance(threshold, int) and threshold > 0),
            "degraded_after_ms",
            "must be empty or a positive number of milliseconds",
        )
        _check(
            isinstance(self.max_redirects, int) and 0 <= self.max_redirects <= 30,
            "max_redirects",
            "must be from 0 to 30",
        )
        _check_timeout(self.timeout)
        _check_ca_pem(self.ca_pem)
        limit = self.max_body_bytes
        _check(
            isinstance(limit, int) and 0 < limit <= 16 * DEFAULT_MAX_BODY,
            "max_body_bytes",
            f"must be from 1 byte to {format_size(16 * DEFAULT_MAX_BODY)}",
        )


@dataclass(frozen=True, slots=True)
class TcpProbe:
    """A TCP connect to host:port, closed as soon as it is made."""

    host: str
    port: int
    timeout: float = 10.0

    def __post_init__(self):
        _check_host(self.host)
        _check_port(self.port)
        _check_timeout(self.timeout)


@dataclass(frozen=True, slots=True)
class TlsProbe:
    """A TLS handshake with host:port, judged by the certificate: trust, host name and days left.

    Degraded when fewer than warn_days remain, down under fail_days (or when expired).
    """

    host: str
    port: int = 443
    warn_days: int = 21
    fail_days: int = 7
    check_hostname: bool = True
    verify_chain: bool = True
    timeout: float = 10.0
    ca_pem: str = ""

    def __post_init__(self):
        _check_host(self.host)
        _check_port(self.port)
        _check(isinstance(self.fail_days, int) and self.fail_days >= 0, "fail_days", "must be 0 or more")
        ok = isinstance(self.warn_days, int) and self.warn_days >= self.fail_days
        _check(ok, "warn_days", "must be at least fail_days")
        _check(self.verify_chain or not self.check_hostname, "check_hostname", "needs verify_chain")
        _check_timeout(self.timeout)
        _check_ca_pem(self.ca_pem)


def parse_resolver(resolver: str) -> tuple[str, int]:
    """'1.1.1.1' -> ('1.1.1.1', 53); '127.0.0.1:5353'; '[::1]:5353'; '::1'. ValueError otherwise."""
    text = resolver.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest.removeprefix(":")) if rest else 53
        _check(not rest or rest.startswith(":"), "resolver", "must be IP or IP:port")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = int(port_text)
    ipaddress.ip_address(host)
    if not 1 <= port <= 65535:
        raise ValueError(port)
    return host, port


@dataclass(frozen=True, slots=True)
class DnsProbe:
    """A DNS query for name and record type, optionally expecting a value among the answers.

    resolver is an IP address with an optional port ("9.9.9.9", "10.0.0.2:5353", "[::1]:53");
    empty means the system's resolver.
    """

    name: str
    record_type: str = "A"
    expected: str = ""
    resolver: str = ""
    timeout: float = 5.0
    resolver_address: tuple[str, int] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        _check(is_host_name(self.name) and not is_ip_address(self.name), "name", "must be a domain name")
        types = ", ".join(sorted(DNS_RECORD_TYPES))
        _check(self.record_type in DNS_RECORD_TYPES, "record_type", f"must be one of {types}")
        _check(isinstance(self.expected, str), "expected", "must be text")
        address = None
        if self.resolver:
            try:
                address = parse_resolver(self.resolver)
            except (ValueError, AttributeError):
                raise ProbeConfigError("resolver", "must be an IP address with an optional port") from None
        object.__setattr__(self, "resolver_address", address)
        _check_timeout(self.timeout)


Probe = HttpProbe | TcpProbe | TlsProbe | DnsProbe
