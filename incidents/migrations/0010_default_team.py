"""Give what existed before teams owned objects to the default team, with everyone in it (vigil.default_team)."""

from django.conf import settings
from django.db import migrations

from vigil.default_team import add_everyone_to_default_team, give_default_team


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_team_admins_and_integration_team"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(add_everyone_to_default_team, migrations.RunPython.noop),
        migrations.RunPython(give_default_team("incidents", "Component", "owner_team"), migrations.RunPython.noop),
        migrations.RunPython(give_default_team("incidents", "Integration"), migrations.RunPython.noop),
        migrations.RunPython(give_default_team("incidents", "Schedule"), migrations.RunPython.noop),
        migrations.RunPython(give_default_team("incidents", "EscalationPolicy"), migrations.RunPython.noop),
    ]
