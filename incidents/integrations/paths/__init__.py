"""The ways a payload can go into the database, one module each, tried in this order by pipeline.ingest:

1. buffered: every alert a known repeat, counted in Redis with no database query.
2. repeat: one known firing alert, counted by one UPDATE that checks the token too.
3. join: one new firing alert joining its group's open incident, in one statement.
4. general: anything else, in one transaction.

Each is `take(delivery) -> IngestResult | None`: None passes the payload on to the next path.
"""
