from .importer import OpsgenieImporter

__all__ = ["OpsgenieImporter"]
