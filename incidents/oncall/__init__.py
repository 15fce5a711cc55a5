"""On-call: schedules of rotations and overrides, swap requests, who is on call, calendar feeds.

schedule.py computes (no I/O beyond the queries its loaders make); services.py
holds the actions; views.py and api.py are thin. The escalation engine calls
`incidents.oncall.schedule.on_call_users(schedule, at)`.
"""
