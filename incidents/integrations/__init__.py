"""Alert ingestion: Prometheus Alertmanager, Grafana Alerting and generic JSON.

Each integration has its own secret URL. parsers.py turns a payload into ParsedAlerts,
services.py turns those into alert rows and incidents (through incidents.services), with the
statements of the paths every alert takes written out in statements.py; repeats.py counts repeats of
known alerts in Redis and adds them to their rows in bulk. views.py and api.py are thin.
"""
