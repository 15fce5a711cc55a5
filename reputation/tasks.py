"""Beat's reputation work: polling the due feeds, and judging the last hours for spikes.

Both are safe to repeat and to run twice at once: feeds are claimed before they are polled
(feeds.claim_due), and a spike is one row and one incident however many runs see it (spikes.py).
"""

from celery import shared_task

from . import feeds, spikes


@shared_task(name="reputation.tasks.poll_feeds", ignore_result=True, expires=60)
def poll_feeds() -> dict:
    """Every minute: poll each enabled feed whose interval has passed."""
    report = feeds.poll_due()
    return {
        "polled": report.polled,
        "imported": report.imported,
        "not_modified": report.not_modified,
        "failed": report.failed,
        "mentions": report.mentions.created,
    }


@shared_task(name="reputation.tasks.detect_spikes", ignore_result=True, expires=300)
def detect_spikes() -> int:
    """Every five minutes: judge the hour in progress and the one before; open an incident per spike."""
    return len(spikes.detect())
