"""The agent's side of Vigil's agent API (monitoring.api.agent): assignments in, results out.

This session talks to Vigil only, so it is a plain aiohttp session: Vigil may well sit on a
private address the probes' address rule refuses.
"""

import logging
from typing import Any

import aiohttp

from . import __version__

logger = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class Refused(Exception):
    """Vigil refused the token (401/403): retrying cannot help, a person must act."""


class Unreachable(Exception):
    """Vigil could not be reached or could not take the request now: try again later."""


class Rejected(Exception):
    """Vigil found the request itself wrong (400): sending it again would fail the same way."""


class VigilClient:
    def __init__(self, url: str, token: str):
        self.url = url
        self.session = aiohttp.ClientSession(
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"vigil-agent/{__version__}"},
        )

    async def close(self) -> None:
        await self.session.close()

    async def assignments(self, etag: str | None) -> tuple[list[dict[str, Any]] | None, str | None]:
        """(the monitors, their ETag), or (None, etag) when they have not changed since ETAG."""
        headers = {"If-None-Match": etag} if etag else {}
        status, body, response_etag = await self._request("GET", "/api/v1/agent/assignments", headers=headers)
        if status == 304:
            return None, etag
        return body["monitors"], response_etag

    async def push(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        _, body, _ = await self._request(
            "POST", "/api/v1/agent/results", json={"version": __version__, "results": results}
        )
        for refused in body.get("refused", []):
            logger.warning("Vigil refused the result for monitor %s: %s", refused["monitor"], refused["error"])
        return body

    async def _request(self, method: str, path: str, **kwargs) -> tuple[int, Any, str | None]:
        try:
            async with self.session.request(method, self.url + path, **kwargs) as response:
                body = await response.json(content_type=None) if response.status != 304 else None
                etag = response.headers.get("ETag")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from None
        if response.status in (401, 403):
            raise Refused(f"{response.status}: {_detail(body)}")
        if response.status == 400:
            raise Rejected(_detail(body))
        if response.status >= 300 and response.status != 304:
            raise Unreachable(f"HTTP {response.status}: {_detail(body)}")
        return response.status, body, etag


def _detail(body: Any) -> str:
    try:
        return "; ".join(f"{e.get('attr') or ''} {e['detail']}".strip() for e in body["errors"])
    except (KeyError, TypeError):
        return str(body)[:300]
