"""The Slack app (issue #18): one workspace per install, configured by SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET. Requests from Slack land on views.py, are verified (verify.py), and are answered
within Slack's 3 s; the work runs in Celery (chat.tasks) through incidents' do_* actions with
Actor(via="slack"). Modules:

- client: the Web API client (slack_sdk) and how a failed call is retried
- verify: signatures, staleness and replays
- identity: which Vigil user a Slack user is
- dispatch: the registry of commands, buttons, modal submissions and events
- views, urls: the three request URLs of the app's manifest (manifest.yml) and the account link
"""
