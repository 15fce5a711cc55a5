from .importer import UptimeKumaImporter

__all__ = ["UptimeKumaImporter"]
