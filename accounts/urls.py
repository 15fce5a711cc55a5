"""Company sign-in's addresses, included at the root by vigil/urls.py."""

from django.urls import include, path

from . import oidc_views

urlpatterns = [
    # Vigil's logout, which also ends the identity provider's session where it supports that.
    path("logout/", oidc_views.LogoutView.as_view(), name="logout"),
    # mozilla-django-oidc: /oidc/authenticate/, /oidc/callback/ (the redirect URI), /oidc/logout/;
    # its views are accounts.oidc_views' (the OIDC_AUTHENTICATE_CLASS and OIDC_CALLBACK_CLASS settings).
    path("oidc/", include("mozilla_django_oidc.urls")),
]
