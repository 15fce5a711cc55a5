"""SCIM filters (`userName eq "ann@example.com"`, `displayName eq "payments-oncall"`) to SQL, through
scim2-filter-parser. Apart from accounts.scim, which django-scim2's adapters import while they load."""

from django_scim.filters import FilterQuery

from .models import ScimGroup, ServiceKey


def _user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


class UserFilter(FilterQuery):
    """What Okta and Entra ID look people up by: userName first, then externalId or an email."""

    model_getter = _user_model
    joins = ("LEFT OUTER JOIN accounts_scimaccount ON accounts_scimaccount.user_id = auth_user.id",)
    attr_map = {
        ("userName", None, None): "auth_user.username",
        ("externalId", None, None): "accounts_scimaccount.external_id",
        ("emails", "value", None): "auth_user.email",
        ("emails", None, None): "auth_user.email",
        ("name", "givenName", None): "auth_user.first_name",
        ("name", "familyName", None): "auth_user.last_name",
        ("active", None, None): "auth_user.is_active",
    }

    @classmethod
    def search(cls, filter_query, request=None):
        """The people FILTER_QUERY finds, without service keys' accounts (not the provider's to see). A
        list: the raw query's WHERE cannot take one more condition safely (it ends in ORs)."""
        found = super().search(filter_query, request)
        services = set(ServiceKey.objects.values_list("user_id", flat=True))
        return [user for user in found if user.pk not in services]


class GroupFilter(FilterQuery):
    model_getter = lambda: ScimGroup  # noqa: E731
    attr_map = {
        ("displayName", None, None): "accounts_scimgroup.display_name",
        ("externalId", None, None): "accounts_scimgroup.external_id",
    }
