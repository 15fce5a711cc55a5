"""Ping URLs, included at the site's root as ping/ (outside any app namespace: Monitor.ping_url
reverses "ping"). Each also answers with a trailing slash, which some job scripts add."""

from django.urls import path

from .ping_views import ping

urlpatterns = [
    path("<uuid:token>", ping, name="ping"),
    path("<uuid:token>/start", ping, {"kind": "start"}, name="ping-start"),
    path("<uuid:token>/fail", ping, {"kind": "fail"}, name="ping-fail"),
    path("<uuid:token>/", ping),
    path("<uuid:token>/start/", ping, {"kind": "start"}),
    path("<uuid:token>/fail/", ping, {"kind": "fail"}),
]
