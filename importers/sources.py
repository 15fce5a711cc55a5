"""The importers by source name, as `manage.py import_from SOURCE` knows them.

A new source is a package beside uptime_kuma/ with an Importer subclass (importers.base) listed here.
"""

from .base import Importer
from .pagerduty import PagerDutyImporter
from .statuspage import StatuspageImporter
from .uptime_kuma import UptimeKumaImporter

# Statuspage comes after PagerDuty: it shares PagerDuty's --api-key and --api-url (statuspage.importer).
IMPORTERS: dict[str, type[Importer]] = {
    importer.name: importer for importer in [UptimeKumaImporter, PagerDutyImporter, StatuspageImporter]
}
# Named in issue #17, not written yet: refused with a message rather than an unknown-choice error.
PLANNED = ["opsgenie", "grafana-oncall"]
