"""On-call: schedules of rotations and overrides, swap requests, who is on call, calendar feeds.

schedule.py computes (no I/O beyond the queries its loaders make); timeline.py lays
a schedule out on a time axis for the pages; services.py holds the actions (the
dashboard's forms, the API and the admin's buttons all call them); views.py and
the api/ package are thin. The escalation engine calls
`incidents.oncall.schedule.on_call_users(schedule, at)`.
"""
