"""Today's installs keep their behaviour: monitors that shared a component were treated as replicas.

Until redundancy groups, several monitors on one component were redundant by implication (one down
was "redundancy lost", all down an outage, in one incident keyed `component:<id>:monitors`). For
each component watched by two or more monitors, this makes the group "<component> replicas" holding
them, so those monitors go on behaving as they did; monitors added later join a group only when
someone says so. An incident such a component has open now moves to its group's dedup key
(`redundancy:<id>`, monitoring.alerting.group_key), so the replicas' recovery still resolves it.

Reversed, the incidents get their component keys back (the groups go with the schema migration).
"""

from django.db import migrations
from django.db.models import Count

NAME_LENGTH = 120  # RedundancyGroup.name


def _free_name(RedundancyGroup, wanted: str) -> str:
    name, n = wanted[:NAME_LENGTH], 2
    while RedundancyGroup.objects.filter(name=name).exists():
        suffix = f" ({n})"
        name, n = wanted[: NAME_LENGTH - len(suffix)] + suffix, n + 1
    return name


def group_shared_components(apps, schema_editor):
    Monitor = apps.get_model("monitoring", "Monitor")
    RedundancyGroup = apps.get_model("monitoring", "RedundancyGroup")
    Component = apps.get_model("incidents", "Component")
    Incident = apps.get_model("incidents", "Incident")
    shared = (
        Monitor.objects.filter(component__isnull=False, redundancy_group__isnull=True)
        .order_by()
        .values("component_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("component_id", flat=True)
    )
    for component in Component.objects.filter(pk__in=list(shared)).order_by("pk"):
        group = RedundancyGroup.objects.create(name=_free_name(RedundancyGroup, f"{component.name} replicas"))
        Monitor.objects.filter(component=component, redundancy_group__isnull=True).update(redundancy_group=group)
        Incident.objects.exclude(status="resolved").filter(dedup_key=f"component:{component.pk}:monitors").update(
            dedup_key=f"redundancy:{group.pk}"
        )


def give_incidents_their_component_keys_back(apps, schema_editor):
    Monitor = apps.get_model("monitoring", "Monitor")
    Incident = apps.get_model("incidents", "Incident")
    for incident in Incident.objects.exclude(status="resolved").filter(dedup_key__startswith="redundancy:"):
        group_id = incident.dedup_key.removeprefix("redundancy:")
        component_id = (
            Monitor.objects.filter(redundancy_group_id=group_id, component__isnull=False)
            .values_list("component_id", flat=True)
            .first()
        )
        if component_id is not None:
            incident.dedup_key = f"component:{component_id}:monitors"
            incident.save(update_fields=["dedup_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0006_redundancy_groups_and_input_limits"),
        ("incidents", "0003_page_link_use_and_personal_feed"),
    ]

    operations = [migrations.RunPython(group_shared_components, give_incidents_their_component_keys_back)]
