from django.urls import path

from . import views

urlpatterns = [
    path("commands", views.commands, name="slack_commands"),
    path("interactions", views.interactions, name="slack_interactions"),
    path("events", views.events, name="slack_events"),
    path("link/<str:token>", views.link, name="slack_link"),
]
