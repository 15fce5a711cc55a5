"""What other apps add to the public incident pages, without comms knowing them.

comms imports none of the apps beside it (issue #16: they meet in incidents), so the status page
asks: when a snapshot is built, comms.status.public sends incidents.signals.public_incident_extras
once, with the ids of every incident the page shows. A receiver answers with plain data,
{incident id: [PublicSection, ...]}, read in bulk (a query or two for all incidents, never one
per incident), and holding only what its app has marked public: the sections are printed as
they are given, on the incident's own HTML page (never in the Statuspage JSON, whose shapes
stay Statuspage's). An app whose sections changed sends incidents.signals.public_record_changed,
and the page is rebuilt (comms.status.triggers).

A receiver that fails is logged and left out: the page is still built.
"""

import logging

from incidents.signals import PublicSection, public_incident_extras

logger = logging.getLogger(__name__)


def collect(incident_ids: list[int]) -> dict[int, list[PublicSection]]:
    """Every receiver's sections for INCIDENT_IDS, merged by incident."""
    merged: dict[int, list[PublicSection]] = {}
    if not incident_ids:
        return merged
    for receiver, answer in public_incident_extras.send_robust(sender=None, incident_ids=list(incident_ids)):
        if isinstance(answer, Exception):
            logger.error("Status page extras from %r failed: %r; left out", receiver, answer)
            continue
        for incident_id, sections in (answer or {}).items():
            merged.setdefault(int(incident_id), []).extend(s for s in sections if isinstance(s, PublicSection))
    return merged
