"""How a person is named, the same way everywhere: pages, messages, calendars, the API; and who counts
as a person at all."""

from django.contrib.auth import get_user_model

# The reverse name of accounts.models.ServiceKey.user: an account a team's service key acts as. Named
# here as a string, as vigil imports no app; such accounts are automation, never people.
SERVICE_KEY_RELATION = "service_key"


def display_name(user) -> str:
    """Their full name, else their username; "—" for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def people():
    """Active users who are people: the choices of every picker of people (owners, reviewers, rotations,
    escalation levels). A service key's account is left out, so it is never picked, paged or on call."""
    return get_user_model().objects.filter(is_active=True, **{f"{SERVICE_KEY_RELATION}__isnull": True})


def is_service_account(user) -> bool:
    """Whether USER is the account of a service key (accounts.models.ServiceKey), not a person."""
    return user is not None and getattr(user, "pk", None) is not None and hasattr(user, SERVICE_KEY_RELATION)
