"""Reputation watch: what people say about us, scored, linked to incidents, answered.

A subpackage of the monitoring app, on the signals-in side with monitors (DESIGN.md: Mention
--sentiment spike--> incidents). Mentions arrive from feeds (feeds.py, polled by beat), a webhook
(webhook.py) or by hand; services.ingest scores them (scoring.py), tags their brand and links them
to the incident open when they were posted (linking.py). spikes.py watches the hourly volume and
negative share and opens one incident per spike through incidents.services.
"""
