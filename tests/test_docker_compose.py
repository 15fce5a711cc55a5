"""docker-compose.yml: the web service cannot be reached around the proxy that X-Forwarded-For is trusted from."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_web_service_is_published_on_loopback_only():
    web = compose()["services"]["web"]
    for port in web.get("ports", []):
        if isinstance(port, dict):  # the long syntax
            host_ip = port.get("host_ip", "")
        else:  # "HOST_IP:HOST_PORT:CONTAINER_PORT"; without HOST_IP, every address
            parts = str(port).rsplit(":", 2)
            host_ip = parts[0] if len(parts) == 3 else ""
        assert host_ip in {"127.0.0.1", "[::1]", "::1"}, f"{port!r} is published beyond loopback"


def test_no_proxy_is_trusted_unless_set():
    environment = compose()["x-vigil"]["environment"]
    assert environment["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-0}"
