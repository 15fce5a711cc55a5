from django.contrib.auth import get_user_model, login
from django.http import HttpResponse
from django.urls import include, path


def login_as(request, username):
    """The provider's 'sign-in page': the test signs in as USERNAME in one request."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponse("signed in")


urlpatterns = [
    path("login-as/<str:username>/", login_as),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
