from .importer import PagerDutyImporter

__all__ = ["PagerDutyImporter"]
