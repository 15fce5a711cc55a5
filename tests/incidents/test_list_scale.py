"""The incident list and its API cost a constant number of queries per page, even with 100,000 incidents."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Component, Incident, IncidentComponent

MANY = 100_000


def fill(n: int, components) -> None:
    now = timezone.now()
    statuses = ["triggered", "acknowledged", "investigating", "resolved"]
    incidents = [
        Incident(
            title=f"Incident {i}",
            severity=f"sev{i % 4 + 1}",
            status=statuses[i % 4],
            started_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    created = Incident.objects.bulk_create(incidents, batch_size=5_000)
    # A page's worth of incidents with components, so prefetching has work to do.
    IncidentComponent.objects.bulk_create(
        IncidentComponent(incident=incident, component=component)
        for incident in created[:200]
        for component in components
    )


def test_queries_per_page_do_not_grow_with_100k_incidents(
    web_clients, api_clients, django_assert_max_num_queries, roles
):
    components = [Component.objects.create(name=f"C{i}") for i in range(3)]
    fill(60, components)
    with django_assert_max_num_queries(20) as small_web:
        assert web_clients["viewer"].get("/incidents/?status=all").status_code == 200
    with django_assert_max_num_queries(20) as small_api:
        assert api_clients["viewer"].get("/api/v1/incidents/").status_code == 200

    fill(MANY - 60, components)
    assert Incident.objects.count() == MANY
    with django_assert_max_num_queries(len(small_web.captured_queries)):
        page = web_clients["viewer"].get("/incidents/?status=all")
    assert page.status_code == 200 and "Page 1 of 2000" in page.content.decode()
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        body = api_clients["viewer"].get("/api/v1/incidents/").json()
    assert body["count"] == MANY and len(body["results"]) == 50
