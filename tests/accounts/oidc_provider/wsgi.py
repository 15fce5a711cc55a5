"""The provider, ready to serve: its database migrated and Vigil registered as a client (from the
environment: CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, LOGOUT_URI)."""

import os

import django
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"
django.setup()
call_command("migrate", verbosity=0)

from oauth2_provider.models import Application  # noqa: E402  (after setup)

Application.objects.update_or_create(
    client_id=os.environ["CLIENT_ID"],
    defaults={
        "name": "Vigil",
        "client_secret": os.environ["CLIENT_SECRET"],
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "redirect_uris": os.environ["REDIRECT_URI"],
        "post_logout_redirect_uris": os.environ["LOGOUT_URI"],
        "algorithm": Application.RS256_ALGORITHM,
        "skip_authorization": True,
    },
)
application = get_wsgi_application()
