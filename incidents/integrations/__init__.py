"""Alert ingestion: Prometheus Alertmanager, Grafana Alerting and generic JSON.

Each integration has its own secret URL. A payload goes parse -> ingest -> respond:

- parsers.py turns a sender's payload into ParsedAlerts (one parser per kind; real payloads in fixtures/).
- pipeline.py takes them in: it tries each path in order (paths/: buffered, repeat, join, general),
  with the Delivery and IngestResult of delivery.py; access.py says which integration a URL names.
- statements.py holds every SQL statement written out; buffer.py the Redis side (repeats of
  known alerts counted there, and flushed to the database in bulk); receivers.py voids what
  Redis holds when the database changes by other paths; reads.py flushes before pages read.
- services.py holds the actions that manage integrations; views.py and the api/ package are thin.
"""
