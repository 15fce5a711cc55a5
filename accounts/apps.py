from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Company sign-in (issue #20): OpenID Connect and SAML single sign-on, SCIM provisioning, and the
    mapping of an identity provider's groups to Vigil's roles and teams. A leaf: it uses vigil (roles,
    audit) and incidents (teams); no app imports it."""

    name = "accounts"
    verbose_name = "Company sign-in"
    default_auto_field = "django.db.models.BigAutoField"
