from .importer import StatuspageImporter

__all__ = ["StatuspageImporter"]
