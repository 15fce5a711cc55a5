"""Company sign-in's addresses and the Service keys page, included at the root by vigil/urls.py."""

from django.urls import include, path

from . import oidc_views, views

urlpatterns = [
    # Vigil's logout, which also ends the identity provider's session where it supports that.
    path("logout/", oidc_views.LogoutView.as_view(), name="logout"),
    # mozilla-django-oidc: /oidc/authenticate/, /oidc/callback/ (the redirect URI), /oidc/logout/;
    # its views are accounts.oidc_views' (the OIDC_AUTHENTICATE_CLASS and OIDC_CALLBACK_CLASS settings).
    path("oidc/", include("mozilla_django_oidc.urls")),
    # Teams' service keys (accounts.views), beside the personal API keys at account/api-keys/.
    path("account/service-keys/", views.service_keys, name="service_keys"),
    path("account/service-keys/<int:pk>/revoke/", views.revoke_service_key, name="revoke_service_key"),
]
