"""Give what existed before teams owned objects to the default team (vigil.default_team)."""

from django.db import migrations

from vigil.default_team import give_default_team


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0009_monitor_team"), ("incidents", "0010_default_team")]

    operations = [migrations.RunPython(give_default_team("monitoring", "Monitor"), migrations.RunPython.noop)]
