"""Outgoing HTTP of the reputation watch: fetching feeds, through the one client (vigil.http).

A feed's URL is given by a person, so it gets what every such URL gets: the address rule of
VIGIL_OUTBOUND_ALLOWED_NETWORKS (a feed on a loopback or private address is refused unless its
network is allowed), a pinned connection, and a deadline for the whole fetch
(VIGIL_REPUTATION_FEED_TIMEOUT). On top: conditional GET (the caller's headers), a size cap
(VIGIL_REPUTATION_FEED_MAX_BYTES), and up to MAX_REDIRECTS redirects, each checked again.
"""

from dataclasses import dataclass

from django.conf import settings

from vigil import http

USER_AGENT = "Vigil-Reputation/1 (feed reader)"
MAX_REDIRECTS = 5


class FetchError(Exception):
    """Nothing usable came back. The message is the reason shown on the source."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


def get(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET URL (following up to MAX_REDIRECTS redirects, each checked); FetchError if nothing usable came."""
    limit = settings.VIGIL_REPUTATION_FEED_MAX_BYTES
    try:
        response = http.request(
            "GET",
            url,
            headers=headers,
            deadline=settings.VIGIL_REPUTATION_FEED_TIMEOUT,
            max_bytes=limit,
            max_redirects=MAX_REDIRECTS,
            user_agent=USER_AGENT,
        )
    except http.ResponseTooLarge:
        raise FetchError(f"the feed is larger than {limit} bytes") from None
    except http.TooManyRedirects as exc:
        raise FetchError(str(exc)) from None
    except http.RefusedURL as exc:
        raise FetchError(str(exc)) from None
    except http.HttpError as exc:
        raise FetchError(f"could not fetch the feed: {exc}") from None
    return Fetched(response.status_code, dict(response.headers), response.content)
