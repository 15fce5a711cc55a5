"""Path 3: one new firing alert joining its group's open incident, the usual new alert.

What the general path writes for it (the incident locked, the alert row, its timeline row) in one
statement (statements.join_open_incident): on PostgreSQL, outside a transaction. It is tried only
for a single firing alert the repeat path did not know; a group with no open incident, or an
alert that has a firing row already, goes on to the general path.
"""

from .. import services, statements
from ..delivery import Delivery, IngestResult


def take(delivery: Delivery) -> IngestResult | None:
    if delivery.tried_repeat is None:
        return None
    integration = delivery.integration
    if integration is None:
        return None
    parsed = delivery.alerts[0]
    event = services.alert_event(integration, 0, 0, parsed.fingerprint, f"Alert firing: {parsed.title}")
    dedup_key = services.dedup_key_for(integration, parsed.group_key)
    joined = statements.join_open_incident(integration, parsed, dedup_key, event, delivery.now)
    if joined is None:
        return None
    services.note_integration_received(integration, delivery.now)
    result = IngestResult(alerts=1, new=1, incidents_joined=[joined[1]])
    result.firing[parsed.fingerprint] = joined
    return result
