"""Web Push from the dashboard (issue #19 item 1): Vigil as an installable web app (PWA) whose
service worker shows a page on the lock screen, with Acknowledge and Open.

- vapid: the install's VAPID key pair (made on first use, in the database) and its claims.
- services: subscribing a browser and removing a device (the do_* actions).
- planning: a page's outbox rows by push, one per device.
- payload: what a push carries (title, body, incident URL, signed single-use ack URL, tag).
- views and urls: the Devices page, the manifest, the service worker, the ack the worker posts.
The channel that sends is comms.channels.webpush.
"""
