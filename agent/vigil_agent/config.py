"""The agent's settings, all from the environment, checked at start so a typo stops it at once."""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from vigil_probes.net import AddressPolicy, parse_networks


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    url: str  # Vigil's base URL, e.g. https://vigil.example.com
    token: str
    state_dir: Path  # the result buffer and the last assignment live here
    policy: AddressPolicy
    concurrency: int = 100
    push_seconds: float = 5.0
    poll_seconds: float = 30.0

    @property
    def buffer_path(self) -> Path:
        return self.state_dir / "results.jsonl"

    @property
    def assignment_path(self) -> Path:
        return self.state_dir / "assignment.json"


def _number(env, name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "")
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low:g} to {high:g}")
    return value


def from_env(env=os.environ) -> Config:
    """VIGIL_URL and VIGIL_AGENT_TOKEN are required; the rest have defaults (README, Probe agents)."""
    url = env.get("VIGIL_URL", "").strip().rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ConfigError("VIGIL_URL must be Vigil's address, e.g. https://vigil.example.com")
    token = env.get("VIGIL_AGENT_TOKEN", "").strip()
    if not token.startswith("vga_"):
        raise ConfigError("VIGIL_AGENT_TOKEN must be the location's agent token (vga_...), shown when it was made")
    try:
        # Which private networks this agent may probe: its operator's choice, as
        # VIGIL_PROBE_ALLOWED_NETWORKS is the central install's. Metadata addresses stay refused.
        allowed = parse_networks(env.get("VIGIL_AGENT_ALLOWED_NETWORKS", "").replace(",", " ").split())
    except ValueError as exc:
        raise ConfigError(f"VIGIL_AGENT_ALLOWED_NETWORKS: {exc}") from None
    state_dir = Path(env.get("VIGIL_AGENT_STATE_DIR") or Path.home() / ".vigil-agent")
    return Config(
        url=url,
        token=token,
        state_dir=state_dir,
        policy=AddressPolicy(allowed),
        concurrency=int(_number(env, "VIGIL_AGENT_CONCURRENCY", 100, 1, 5000)),
        push_seconds=_number(env, "VIGIL_AGENT_PUSH_SECONDS", 5, 0.1, 300),
        poll_seconds=_number(env, "VIGIL_AGENT_POLL_SECONDS", 30, 0.1, 3600),
    )
