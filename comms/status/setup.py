"""The first admin's setup step: name the status page and give it a logo, on first sign-in.

A new install's page is called "Status" with no logo, and every message to its subscribers is
signed with that name. The customers' first view of the install should carry its real name, so
the install's first admin (the superuser bin/run makes, manage.py ensure_admin) signing in while
nobody has saved the branding is asked for the name and logo at the top of the pages they see
(templates/base.html), before anything else: two fields, Save or Not now. "Not now" asks again at
the next sign-in; saving here or on the branding page ends it. Admins by role only (not
superusers) are not asked: they find it under Status page branding. A receiver of Django's
user_logged_in marks the session (one query, at sign-in only), so other requests pay nothing.

Why here and not a name from a setting in the seed: the person who runs bin/run is the one who
knows the name, and this is the first thing they see; an environment variable is read by nobody
on a first run, and the name "Status" would have stayed.
"""

from django.contrib.auth.signals import user_logged_in

from comms.models import StatusPageBranding

SESSION_KEY = "vigil_status_setup"
PERMISSION = "comms.change_statuspagebranding"


def on_sign_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if user.is_superuser and user.has_perm(PERMISSION) and not StatusPageBranding.is_set_up():
        request.session[SESSION_KEY] = True


def done(request) -> None:
    request.session.pop(SESSION_KEY, None)


def connect() -> None:
    """Called from CommsConfig.ready()."""
    user_logged_in.connect(on_sign_in, dispatch_uid="comms.status.setup")
