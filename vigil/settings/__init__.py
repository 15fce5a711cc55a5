"""Vigil's settings, driven by the environment; DJANGO_SETTINGS_MODULE is this package.

Every variable read here is listed, with its default, in README.md. A bad value fails loudly
at start-up (django-environ raises ImproperlyConfigured). One module a concern:

- environment: paths, DEBUG, secrets, the base URL, Redis
- framework: Django's own (apps, middleware, database, cache, sign-in, REST API, static, logging)
- queues: Celery (broker, routes, beat, time limits)
- edge: lockout, two-factor, CSP, API rate limits, outgoing connections
- features: Vigil's own settings, app by app
- chat: the Slack app and Microsoft Teams cards
- identity: company sign-in (groups to roles and teams, local passwords, OIDC, SAML, SCIM)
"""

from vigil.settings.chat import *  # noqa: F403
from vigil.settings.edge import *  # noqa: F403
from vigil.settings.environment import *  # noqa: F403
from vigil.settings.features import *  # noqa: F403
from vigil.settings.framework import *  # noqa: F403
from vigil.settings.identity import *  # noqa: F403
from vigil.settings.queues import *  # noqa: F403
