"""Is this request from Slack? Its v0 signature (HMAC-SHA256 of "v0:timestamp:body" with the signing
secret, checked by slack_sdk's SignatureVerifier, which also refuses timestamps more than 5 minutes
from now), and never seen before: a signature is remembered for 10 minutes (longer than a timestamp
stays acceptable), so a captured request replayed within the window is refused too."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from slack_sdk.signature import SignatureVerifier

REPLAY_SECONDS = 600


class Refused(Exception):
    """Not a request Vigil will act on. The message says why (logged, never shown to the caller)."""


def verify(request) -> None:
    """Raise Refused unless REQUEST is a fresh request signed with SLACK_SIGNING_SECRET."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        raise Refused("no Slack signature")
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
    if not verifier.is_valid(body=request.body, timestamp=timestamp, signature=signature):
        raise Refused("bad or stale signature")
    key = "slack-seen:" + hashlib.sha256(signature.encode()).hexdigest()
    if not cache.add(key, 1, timeout=REPLAY_SECONDS):
        raise Refused("replayed request")
