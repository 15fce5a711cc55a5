"""Browser check runs, stored beside their results: the steps' times, the failing step, the console
errors and a screenshot (monitoring.models_browser.BrowserRun).

record_observations calls store_runs in its transaction, for the observations that carry a browser
probe's details (vigil_probes.browser). Screenshots are thinned as they come: a failing monitor
keeps the picture of the run that began its failure and of its latest run only.
"""

import base64
import binascii
from collections.abc import Sequence

from .models import Monitor
from .models_browser import BrowserRun

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def screenshot_from(details: dict) -> bytes | None:
    """The PNG in DETAILS (base64), or None when there is none or it is not a PNG."""
    encoded = details.get("screenshot_png")
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return png if png.startswith(PNG_SIGNATURE) else None


def run_from(observation) -> BrowserRun:
    details = observation.details
    return BrowserRun(
        monitor_id=observation.monitor_id,
        location_id=observation.location_id,
        checked_at=observation.checked_at,
        ok=observation.state != "down",
        reason=observation.reason[:300],
        steps=list(details.get("steps", []))[:60],
        failed_step=str(details.get("failed_step", ""))[:100],
        console_errors=[str(text)[:500] for text in details.get("console_errors", [])][:20],
        screenshot=None if observation.state != "down" else screenshot_from(details),
    )


def store_runs(observations: Sequence) -> list[BrowserRun]:
    """Store a BrowserRun for each of OBSERVATIONS that carries browser details; returns them."""
    candidates = [o for o in observations if o.details and "steps" in o.details]
    if not candidates:
        return []
    # Details for another kind of monitor (an agent's mistake) store nothing.
    browsers = set(
        Monitor.objects.filter(pk__in={o.monitor_id for o in candidates}, kind=Monitor.Kind.BROWSER).values_list(
            "pk", flat=True
        )
    )
    runs = [run_from(o) for o in candidates if o.monitor_id in browsers]
    for run in runs:
        if not run.ok:
            before = BrowserRun.objects.filter(monitor_id=run.monitor_id, checked_at__lt=run.checked_at).first()
            run.opens_failure = before is None or before.ok
    BrowserRun.objects.bulk_create(runs)
    _thin_screenshots(runs)
    return runs


def _thin_screenshots(runs: list[BrowserRun]) -> None:
    """Drop the screenshots of a failing monitor's runs that neither began the failure nor are its latest."""
    for run in runs:
        if run.screenshot is not None:
            older = BrowserRun.objects.filter(monitor_id=run.monitor_id, checked_at__lt=run.checked_at)
            older.filter(opens_failure=False, screenshot__isnull=False).update(screenshot=None)


def latest_run(monitor) -> BrowserRun | None:
    return BrowserRun.objects.filter(monitor=monitor).first()
