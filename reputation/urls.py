from django.urls import path

from . import views, webhook

app_name = "reputation"
urlpatterns = [
    path("", views.feed, name="feed"),
    path("queue/", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/state/", views.change_state, name="state"),
    path("<int:pk>/link/", views.link, name="link"),
    path("sources/", views.sources, name="sources"),
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("sources/<int:pk>/rotate-secret/", views.rotate_secret, name="rotate_secret"),
    path("sources/<int:pk>/poll/", views.poll_now, name="poll_now"),
    path("sources/<int:pk>/delete/", views.source_delete, name="source_delete"),
    path("brands/", views.brands, name="brands"),
    path("brands/new/", views.brand_create, name="brand_create"),
    path("brands/<int:pk>/edit/", views.brand_edit, name="brand_edit"),
    path("brands/<int:pk>/delete/", views.brand_delete, name="brand_delete"),
    # The senders' URL: no login, the secret header is the credential (webhook.receive).
    path("hooks/<int:pk>/", webhook.receive, name="hook"),
]
