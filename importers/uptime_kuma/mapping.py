"""An Uptime Kuma monitor row as the settings of a Vigil monitor (monitoring.services.SETTINGS_FIELDS).

Kuma's semantics, from its server/model/monitor.js: a check failing is retried every
retry_interval seconds and the monitor is down after `maxretries` failed retries, that is after
maxretries + 1 failures in a row (Vigil's failure_threshold). accepted_statuscodes_json lists
codes and ranges as Vigil's expected_status does.
"""

import base64
import json
from dataclasses import dataclass, field

from monitoring.models import MIN_INTERVAL_SECONDS, Monitor

Kind = Monitor.Kind

# Kuma monitor types Vigil has no equivalent for, with what to do instead.
UNSUPPORTED = {
    "ping": "Vigil has no ICMP ping monitor: watch a TCP port the host serves, "
    "or ping it from inside its network and push the outcome to a heartbeat monitor",
    "group": "a Kuma group monitor only sums up its children; Vigil groups monitors under components "
    "(the children are imported on their own)",
    "json-query": "Vigil's HTTP monitor checks the status and a keyword, not a JSON query",
    "real-browser": "Vigil does not drive a browser",
}
SEND_AS = {"json": "application/json", "form": "application/x-www-form-urlencoded", "xml": "text/xml"}


class Unmappable(Exception):
    """The monitor has no Vigil equivalent; the message says why."""


@dataclass
class MappedMonitor:
    settings: dict
    paused: bool
    approximations: list[str] = field(default_factory=list)


def map_monitor(row: dict) -> MappedMonitor:
    kind = row.get("type") or "http"
    if kind in UNSUPPORTED:
        raise Unmappable(UNSUPPORTED[kind])
    builders = {"http": _http, "keyword": _http, "port": _tcp, "dns": _dns, "push": _push}
    if kind not in builders:
        raise Unmappable(f"Vigil has no {kind} monitor (it watches HTTP(S), TCP, TLS, DNS and heartbeats)")
    if row.get("upside_down"):
        raise Unmappable(
            "upside-down mode (up when the check fails) has no Vigil equivalent: imported as is, "
            "it would report the opposite"
        )
    mapped = MappedMonitor(settings={}, paused=not row.get("active", 1))
    name = row.get("name") or f"Uptime Kuma monitor {row['id']}"
    mapped.settings["name"] = name[:100]
    if len(name) > 100:
        mapped.approximations.append("name cut to 100 characters")
    builders[kind](row, mapped)
    if kind != "push":
        _schedule(row, mapped)
    return mapped


def _clamp(value: float, low: float, high: float, what: str, mapped: MappedMonitor):
    clamped = min(max(value, low), high)
    if clamped != value:
        mapped.approximations.append(f"{what} {value:g} is outside Vigil's {low:g}-{high:g}: set to {clamped:g}")
    return clamped


def _schedule(row: dict, mapped: MappedMonitor) -> None:
    interval = int(row.get("interval") or 60)
    retry = int(row.get("retry_interval") or 0) or interval  # 0 in Kuma: retry at the normal interval
    settings = mapped.settings
    settings["interval_seconds"] = int(_clamp(interval, MIN_INTERVAL_SECONDS, 86400, "interval", mapped))
    settings["retry_interval_seconds"] = int(_clamp(retry, 1, 3600, "retry interval", mapped))
    failures = int(row.get("maxretries") or 0) + 1
    settings["failure_threshold"] = int(_clamp(failures, 1, 10, "failures before down (retries + 1)", mapped))
    timeout = float(row.get("timeout") or 0)
    if timeout > 0:  # 0 (or no column) in older Kuma versions: Vigil's default
        settings["timeout_seconds"] = _clamp(timeout, 0.1, 60, "timeout", mapped)


def _http(row: dict, mapped: MappedMonitor) -> None:
    settings = mapped.settings
    settings.update(kind=Kind.HTTP, target=(row.get("url") or "").strip())
    settings["method"] = (row.get("method") or "GET").upper()
    settings["headers"] = _headers(row, mapped)
    settings["body"] = row.get("body") or ""
    settings["expected_status"] = _accepted_codes(row.get("accepted_statuscodes_json"))
    settings["verify_tls"] = not row.get("ignore_tls")
    if row.get("type") == "keyword":
        settings["keyword"] = row.get("keyword") or ""
        settings["keyword_absent"] = bool(row.get("invert_keyword"))
    redirects = row.get("maxredirects")
    redirects = 10 if redirects is None else int(redirects)
    settings["follow_redirects"] = redirects > 0
    if redirects not in (0, 10):
        mapped.approximations.append(f"follows up to 10 redirects (Kuma: {redirects})")
    if row.get("proxy_id"):
        mapped.approximations.append("imported without its proxy: Vigil's probes connect directly")
    encoding = (row.get("http_body_encoding") or "").lower()
    if settings["body"] and encoding in SEND_AS and not _has_header(settings["headers"], "content-type"):
        settings["headers"]["Content-Type"] = SEND_AS[encoding]
        mapped.approximations.append(f"body sent with Content-Type: {SEND_AS[encoding]} (Kuma's {encoding} encoding)")


def _headers(row: dict, mapped: MappedMonitor) -> dict:
    text = (row.get("headers") or "").strip()
    try:
        headers = json.loads(text) if text else {}
    except ValueError:
        raise Unmappable("its headers are not JSON") from None
    if not isinstance(headers, dict):
        raise Unmappable("its headers are not a JSON object")
    headers = {str(name): str(value) for name, value in headers.items()}
    method = (row.get("auth_method") or "basic").lower()
    if row.get("basic_auth_user") or method not in ("basic", "", "null"):
        if method not in ("basic", "", "null"):
            raise Unmappable(f"Vigil's HTTP monitor has no {method} authentication")
        pair = f"{row['basic_auth_user']}:{row.get('basic_auth_pass') or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        mapped.approximations.append("basic auth sent as an Authorization header")
    return headers


def _has_header(headers: dict, name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _accepted_codes(text: str | None) -> str:
    try:
        codes = json.loads(text) if text else ["200-299"]
    except ValueError:
        raise Unmappable("its accepted status codes are not JSON") from None
    return ", ".join(str(code) for code in codes) if codes else "200-299"


def _tcp(row: dict, mapped: MappedMonitor) -> None:
    mapped.settings.update(kind=Kind.TCP, target=(row.get("hostname") or "").strip(), port=row.get("port"))


def _dns(row: dict, mapped: MappedMonitor) -> None:
    record_type = (row.get("dns_resolve_type") or "A").upper()
    if record_type not in Monitor.RecordType.values:
        raise Unmappable(f"Vigil's DNS monitor asks for {', '.join(Monitor.RecordType.values)}, not {record_type}")
    resolver = (row.get("dns_resolve_server") or "").strip()
    port = row.get("port")
    if resolver and port and int(port) != 53:
        resolver = f"[{resolver}]:{port}" if ":" in resolver else f"{resolver}:{port}"
    if "," in resolver:  # Kuma 2 accepts a list; Vigil asks one resolver
        resolver = resolver.split(",")[0].strip()
        mapped.approximations.append(f"asks the first resolver only ({resolver})")
    mapped.settings.update(
        kind=Kind.DNS, target=(row.get("hostname") or "").strip(), record_type=record_type, resolver=resolver
    )


def _push(row: dict, mapped: MappedMonitor) -> None:
    """Kuma counts a push missing for `interval` seconds as a failure and retries every retry_interval;
    Vigil waits a grace after each period, so the grace is the retries' time (at least a minute)."""
    interval = int(row.get("interval") or 60)
    retry = int(row.get("retry_interval") or 0) or interval
    grace = max(60, retry * int(row.get("maxretries") or 0))
    period = int(_clamp(interval, MIN_INTERVAL_SECONDS, 10**9, "push interval", mapped))
    mapped.settings.update(kind=Kind.HEARTBEAT, period_seconds=period, grace_seconds=grace)
    mapped.approximations.append(
        f"a heartbeat expecting a ping every {period} s with {grace} s of grace; "
        "its push URL is new (Vigil's ping URL): point the job that pushes at it"
    )
