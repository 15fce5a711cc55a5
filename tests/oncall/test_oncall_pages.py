"""The on-call pages: who is on now, a schedule's two weeks, overrides and swaps from the browser's side."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Override, SwapRequest

from .conftest import make_override, make_rotation, make_schedule, utc

NOW = utc(2026, 6, 3, 12)  # Wednesday; weekly hand-offs on Mondays 09:00 UTC


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def schedule(ann, bob, cat):
    schedule = make_schedule("Platform", tz="Europe/Paris")
    make_rotation(schedule, [ann, bob, cat], starts_at=utc(2026, 6, 1, 9))
    return schedule


def client_for(user, tz: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if tz:
        client.cookies["tz"] = tz
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_page_says_who_is_on_now_until_when_and_the_next_handoffs(schedule, ann, viewer):
    response = client_for(viewer).get("/oncall/")
    assert response.status_code == 200
    page = text(response)
    assert 'aria-current="page">On-call</a>' in page
    now = re.search(r'data-testid="on-call-now">(.*?)</p>', page).group(1)
    assert "ann" in now and "Mon Jun 8, 09:00 UTC" in now
    handoffs = re.search(r'data-testid="next-handoffs">(.*?)</ol>', page).group(1)
    assert re.findall(r"<strong>(\w+)</strong>", handoffs) == ["bob", "cat", "ann"]
    assert "Hand-offs in Europe/Paris" in page


def test_times_are_shown_in_the_viewers_zone(schedule, viewer):
    page = text(client_for(viewer, tz="America/New_York").get("/oncall/"))
    assert "Times in your time zone (America/New_York)" in page
    assert "Mon Jun 8, 05:00 EDT" in page  # 09:00 UTC


def test_my_shifts_and_the_requests_addressed_to_me(schedule, ann, bob):
    swap = SwapRequest.objects.create(
        schedule=schedule, requester=ann, covering_user=bob, starts_at=utc(2026, 6, 4), ends_at=utc(2026, 6, 5)
    )
    page = text(client_for(bob).get("/oncall/"))
    mine = re.search(r'data-testid="my-shifts">(.*?)</ol>', page).group(1)
    assert "Mon Jun 8, 09:00" in mine  # bob's week starts on the 8th
    incoming = re.search(r'data-testid="incoming">(.*?)</section>', page).group(1)
    assert f'action="/oncall/swaps/{swap.pk}/accept/"' in incoming
    assert f'action="/oncall/swaps/{swap.pk}/decline/"' in incoming
    assert "cancel" not in incoming

    asker = text(client_for(ann).get("/oncall/"))
    assert 'data-testid="incoming"' not in asker
    assert f'action="/oncall/swaps/{swap.pk}/cancel/"' in asker


def test_accepting_in_one_click_changes_who_is_on_call_and_a_second_click_changes_nothing(schedule, ann, bob):
    swap = SwapRequest.objects.create(
        schedule=schedule, requester=ann, covering_user=bob, starts_at=utc(2026, 6, 3, 10), ends_at=utc(2026, 6, 4)
    )
    client = client_for(bob)
    response = client.post(f"/oncall/swaps/{swap.pk}/accept/", {"next": "/oncall/"})
    assert response.status_code == 302 and response["Location"] == "/oncall/"
    second = client.post(f"/oncall/swaps/{swap.pk}/accept/", {"next": "/oncall/"}, follow=True)
    assert "already accepted" in text(second)
    assert Override.objects.filter(user=bob).count() == 1
    page = text(client.get("/oncall/"))
    now = re.search(r'data-testid="on-call-now">(.*?)</p>', page).group(1)
    assert "bob" in now and "Thu Jun 4, 00:00 UTC" in now


def test_someone_else_cannot_accept(schedule, ann, bob, cat):
    swap = SwapRequest.objects.create(
        schedule=schedule, requester=ann, covering_user=bob, starts_at=utc(2026, 6, 4), ends_at=utc(2026, 6, 5)
    )
    assert client_for(cat).post(f"/oncall/swaps/{swap.pk}/accept/").status_code == 403
    assert client_for(ann).post(f"/oncall/swaps/{swap.pk}/accept/").status_code == 403
    assert client_for(ann).post(f"/oncall/swaps/{swap.pk}/cancel/").status_code == 302
    swap.refresh_from_db()
    assert swap.status == "cancelled" and not Override.objects.exists()


def test_a_redirect_never_leaves_the_site(schedule, ann, bob):
    swap = SwapRequest.objects.create(
        schedule=schedule, requester=ann, covering_user=bob, starts_at=utc(2026, 6, 4), ends_at=utc(2026, 6, 5)
    )
    response = client_for(bob).post(f"/oncall/swaps/{swap.pk}/decline/", {"next": "https://evil.example/"})
    assert response["Location"] == "/oncall/"


def test_the_schedule_page_lists_two_weeks_the_overrides_and_both_feeds(schedule, ann, bob, cat, settings):
    settings.VIGIL_BASE_URL = "https://vigil.example.com"
    make_override(schedule, cat, utc(2026, 6, 4, 18), utc(2026, 6, 5, 6), reason="Tuesday night")
    page = text(client_for(ann).get(f"/oncall/schedules/{schedule.pk}/"))
    shifts = re.search(r'data-testid="shifts">(.*?)</ol>', page).group(1)
    assert re.findall(r"<li><strong>(\w+)</strong>", shifts) == ["ann", "cat", "ann", "bob", "cat"]
    assert "Tuesday night" in re.search(r'data-testid="overrides">(.*?)</ul>', page).group(1)
    assert f"https://vigil.example.com/oncall/schedules/{schedule.pk}/{schedule.ical_token}.ics" in page
    assert re.search(r'data-testid="user-feed">https://vigil.example.com/oncall/feeds/[\w:-]+\.ics<', page)
    assert 'data-testid="schedule-tz">Europe/Paris<' in page


def test_the_override_form_shows_field_errors_and_stores_nothing(schedule, ann):
    client = client_for(ann)
    url = f"/oncall/schedules/{schedule.pk}/overrides/"
    form = {"override-user": ann.pk, "override-starts_at": "2026-06-05T10:00", "override-ends_at": "2026-06-05T09:00"}
    response = client.post(url, form)
    assert response.status_code == 400
    assert response.context["override_form"].errors["ends_at"] == ["Must be after the start."]
    response = client.post(
        url, {**form, "override-starts_at": "2026-06-01T10:00", "override-ends_at": "2026-06-02T10:00"}
    )
    assert response.status_code == 400
    assert "future" in response.context["override_form"].errors["ends_at"][0]
    response = client.post(url, {**form, "override-ends_at": "not a time"})
    assert "ends_at" in response.context["override_form"].errors
    assert not Override.objects.exists()


def test_an_override_is_read_in_the_viewers_zone(schedule, ann):
    client = client_for(ann, tz="Europe/Paris")
    form = {"override-user": ann.pk, "override-starts_at": "2026-06-05T20:00", "override-ends_at": "2026-06-06T08:00"}
    response = client.post(f"/oncall/schedules/{schedule.pk}/overrides/", form)
    assert response.status_code == 302
    override = Override.objects.get()
    assert (override.starts_at, override.ends_at) == (utc(2026, 6, 5, 18), utc(2026, 6, 6, 6))


def test_a_responder_can_only_name_themselves_in_an_override(schedule, ann, bob):
    client = client_for(ann)
    response = client.get(f"/oncall/schedules/{schedule.pk}/")
    assert list(response.context["override_form"].fields["user"].queryset) == [ann]
    form = {"override-user": bob.pk, "override-starts_at": "2026-06-05T10:00", "override-ends_at": "2026-06-05T12:00"}
    response = client.post(f"/oncall/schedules/{schedule.pk}/overrides/", form)
    assert response.status_code == 400 and "user" in response.context["override_form"].errors
    assert not Override.objects.exists()


def test_an_admin_puts_anyone_on_call(schedule, bob, admin_user):
    form = {"override-user": bob.pk, "override-starts_at": "2026-06-05T10:00", "override-ends_at": "2026-06-05T12:00"}
    response = client_for(admin_user).post(f"/oncall/schedules/{schedule.pk}/overrides/", form)
    assert response.status_code == 302
    assert Override.objects.get().user == bob


def test_asking_for_a_swap_from_the_schedule_page(schedule, ann, bob):
    client = client_for(ann)
    page = client.get(f"/oncall/schedules/{schedule.pk}/")
    initial = page.context["swap_form"].initial
    assert (initial["starts_at"], initial["ends_at"]) == (NOW, utc(2026, 6, 8, 9))  # ann's shift, from now
    url = f"/oncall/schedules/{schedule.pk}/swaps/"
    response = client.post(
        url, {"swap-covering_user": bob.pk, "swap-starts_at": "2026-06-08T10:00", "swap-ends_at": "2026-06-08T12:00"}
    )
    assert response.status_code == 400  # bob's own week
    assert "not on call" in response.context["swap_form"].errors["starts_at"][0]
    response = client.post(
        url, {"swap-covering_user": bob.pk, "swap-starts_at": "2026-06-04T10:00", "swap-ends_at": "2026-06-04T12:00"}
    )
    assert response.status_code == 302
    assert SwapRequest.objects.get().covering_user == bob


def test_the_page_costs_the_same_queries_for_more_schedules(ann, bob, cat, viewer):
    def count() -> int:
        client = client_for(viewer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/oncall/").status_code == 200
        return len(queries)

    for i in range(2):
        make_rotation(make_schedule(f"S{i}"), [ann, bob], starts_at=utc(2026, 1, 1), unit="days")
    few = count()
    for i in range(2, 8):
        schedule = make_schedule(f"S{i}", tz="America/New_York")
        make_rotation(schedule, [ann, bob, cat], starts_at=datetime(2026, 1, 1, 9, tzinfo=ZoneInfo("UTC")))
        make_override(schedule, cat, utc(2026, 6, 4), utc(2026, 6, 5))
    assert count() == few
