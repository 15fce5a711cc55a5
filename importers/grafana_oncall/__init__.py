from .importer import GrafanaOnCallImporter

__all__ = ["GrafanaOnCallImporter"]
