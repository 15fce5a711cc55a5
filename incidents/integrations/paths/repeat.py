"""Path 2: one known firing alert, the usual webhook while an alert lasts.

One UPDATE statement (statements.count_repeat) checks the token and counts the firing row; it is
atomic by itself, so it goes without the round trips of a transaction. On PostgreSQL it is a
prepared statement that commits without waiting for the WAL flush (see statements.py).
"""

from .. import services, statements
from ..delivery import Delivery, IngestResult


def take(delivery: Delivery) -> IngestResult | None:
    if len(delivery.alerts) != 1 or not delivery.alerts[0].firing:
        return None
    parsed = delivery.alerts[0]
    known = statements.count_repeat(delivery.kind, delivery.token, parsed, delivery.now, hot=True)
    if known is None:
        delivery.tried_repeat = parsed.fingerprint
        return None
    services.note_received(known.integration_id, known.integration_received_at, delivery.now)
    result = IngestResult(alerts=1, repeated=1)
    result.firing[parsed.fingerprint] = (known.alert_id, known.incident_id)
    return result
