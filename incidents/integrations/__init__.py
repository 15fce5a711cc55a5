"""Alert ingestion: Prometheus Alertmanager, Grafana Alerting and generic JSON.

Each integration has its own secret URL. parsers.py turns a payload into ParsedAlerts,
services.py turns those into alert rows and incidents (through incidents.services), views.py and api.py are thin.
"""
