"""Path 1: a payload of known repeats, counted in Redis with no database query (buffer.py).

Only a payload whose alerts all fire and are all known repeats is counted here. Any other goes on
to the next paths with its token's generation, read in the same Redis call (before their database
reads), so that remember() can mark the alerts they found firing once their transaction commits.
"""

from django.db import transaction

from .. import buffer
from ..delivery import Delivery, IngestResult


def take(delivery: Delivery) -> IngestResult | None:
    if not delivery.all_firing:
        return None
    counted, delivery.generation = buffer.count(
        delivery.kind, delivery.token, list(delivery.latest.values()), delivery.now
    )
    if not counted:
        return None
    return IngestResult(alerts=len(delivery.alerts), repeated=len(delivery.latest))


def remember(delivery: Delivery, result: IngestResult) -> None:
    """After commit: the alerts RESULT found firing in an open incident are marked in Redis, so
    that their next repeats take this path."""
    generation = delivery.generation
    if generation is None or not result.firing:
        return
    markers = [(delivery.latest[fingerprint], *ids) for fingerprint, ids in result.firing.items()]
    transaction.on_commit(lambda: buffer.remember(delivery.kind, delivery.token, generation, markers, delivery.read_at))
