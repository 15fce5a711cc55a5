"""The status page's subscribers: people and webhooks that signed themselves up on the public page.

services: signing up, confirming, managing, cancelling, and the rows of what they are sent;
webhook_challenge: a webhook subscriber's verification request; notices: maintenance notices to
them; forms and views: the public pages under /status/subscribe/ and /status/subscription/.
The models stay in comms.models.subscribers.
"""
