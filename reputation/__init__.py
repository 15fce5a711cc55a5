"""Reputation watch: what people say about us, scored, linked to incidents, answered.

An app of its own on the signals-in side, beside monitoring (DESIGN.md: Mention --sentiment
spike--> incidents): like monitoring, it calls into incidents and no other app imports it.
Mentions arrive from feeds (feeds.py, polled by beat), a webhook (webhook.py) or by hand;
services.ingest scores them (scoring.py), tags their brand and links them to the incident open
when they were posted (linking.py). spikes.py watches the hourly volume and negative share and
opens one incident per spike through incidents.services.
"""
