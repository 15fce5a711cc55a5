from django.apps import AppConfig


class ImportersConfig(AppConfig):
    """Moving to Vigil from another tool (issue #17). A leaf: it may use every app, none uses it."""

    name = "importers"
