"""The default team given to everything that existed before teams owned objects (issue #20).

Teams became the unit of ownership: a responder may change only what their teams own. An
install upgraded from before that has objects with no team, and responders who could change
them; so each app's data migration gives its unowned objects this team, and the incidents app's
puts every existing person in it. Nobody loses a permission on upgrade; admins then split the
team at their pace. A fresh install creates no such team.
"""

DEFAULT_TEAM_NAME = "Everyone"


def _default_team(apps, create: bool):
    Team = apps.get_model("incidents", "Team")
    if create:
        return Team.objects.get_or_create(name=DEFAULT_TEAM_NAME)[0]
    return Team.objects.filter(name=DEFAULT_TEAM_NAME).first()


def give_default_team(app_label: str, model_name: str, field: str = "team"):
    """A RunPython function giving MODEL's unowned rows the default team (created if any need it)."""

    def forward(apps, schema_editor):
        Model = apps.get_model(app_label, model_name)
        unowned = Model.objects.filter(**{f"{field}__isnull": True})
        if unowned.exists():
            unowned.update(**{field: _default_team(apps, create=True)})

    return forward


def add_everyone_to_default_team(apps, schema_editor):
    """Every existing person joins the default team, if the upgrade made one or anyone exists."""
    User = apps.get_model(*_user_model(apps))
    if not User.objects.exists():
        return
    team = _default_team(apps, create=True)
    team.members.add(*User.objects.values_list("pk", flat=True))


def _user_model(apps):
    from django.conf import settings

    return settings.AUTH_USER_MODEL.split(".")
