"""The importers by source name, as `manage.py import_from SOURCE` knows them.

A new source is a package beside uptime_kuma/ with an Importer subclass (importers.base) listed here.
"""

from .base import Importer
from .grafana_oncall import GrafanaOnCallImporter
from .opsgenie import OpsgenieImporter
from .pagerduty import PagerDutyImporter
from .statuspage import StatuspageImporter
from .uptime_kuma import UptimeKumaImporter

# The API sources after PagerDuty share its --api-key and --api-url (each adds them if missing).
IMPORTERS: dict[str, type[Importer]] = {
    importer.name: importer
    for importer in [UptimeKumaImporter, PagerDutyImporter, StatuspageImporter, OpsgenieImporter, GrafanaOnCallImporter]
}
# Named in issue #17, not written yet: refused with a message rather than an unknown-choice error.
PLANNED: list[str] = []
