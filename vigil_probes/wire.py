"""Probe configs as JSON: how Vigil hands a monitor's probe to a probe agent.

The shape is the engine's own (the dataclass's fields, plus "kind"), so the agent rebuilds the very
config Vigil built from the monitor, with the same checks on construction: a config the agent
cannot rebuild fails there with ProbeConfigError, never half-way through a probe.
"""

import dataclasses
from typing import Any

from .config import DnsProbe, HttpProbe, Probe, ProbeConfigError, TcpProbe, TlsProbe
from .steps import BrowserProbe

KINDS: dict[str, type] = {"http": HttpProbe, "tcp": TcpProbe, "tls": TlsProbe, "dns": DnsProbe, "browser": BrowserProbe}
_NAMES = {cls: kind for kind, cls in KINDS.items()}


def probe_to_dict(probe: Probe) -> dict[str, Any]:
    """{"kind": "http", "url": ..., ...}: the fields one passes to the config's constructor."""
    data: dict[str, Any] = {"kind": _NAMES[type(probe)]}
    for item in dataclasses.fields(probe):
        if item.init:
            value = getattr(probe, item.name)
            if item.name == "headers":
                value = [list(pair) for pair in value]
            elif item.name == "steps":
                value = [step.as_dict() for step in value]
            data[item.name] = value
    return data


def probe_from_dict(data: dict[str, Any]) -> Probe:
    """The config DATA describes (probe_to_dict's shape); ProbeConfigError names a bad or unknown field."""
    if not isinstance(data, dict):
        raise ProbeConfigError("kind", "a probe must be a JSON object")
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProbeConfigError("kind", f"must be one of {', '.join(KINDS)}")
    known = {item.name for item in dataclasses.fields(cls) if item.init}
    unknown = sorted(set(data) - known - {"kind"})
    if unknown:
        raise ProbeConfigError(unknown[0], f"is not a setting of a {kind} probe")
    try:
        return cls(**{name: value for name, value in data.items() if name != "kind"})
    except TypeError as exc:  # a required field missing
        raise ProbeConfigError("kind", str(exc)) from None
