"""What an action item (postmortems.ActionItem) may point at in other apps, without them meeting.

The apps beside incidents import it and never one another (issue #16): postmortems cannot hold a
foreign key to a DR plan, nor dr_plans import postmortems. An action item holds a generic link
instead, to a model that an app registers here from its AppConfig.ready():

    links.targets.register(DRPlan, "DR plan")   # an item can target it ("update step 4")
    links.sources.register(Drill, "DR drill")   # an item can come from it (a drill's findings)

The registry is the allow-list: the API and the forms accept a link only to a registered model.
"""

from django.db import models


class Links:
    def __init__(self, role: str):
        self.role = role
        self._models: dict[str, tuple[type[models.Model], str]] = {}

    def register(self, model: type[models.Model], label: str) -> None:
        self._models[model._meta.label_lower] = (model, label)

    def key(self, model: type[models.Model]) -> str:
        return model._meta.label_lower

    def accepts(self, obj) -> bool:
        return obj is not None and type(obj)._meta.label_lower in self._models

    def kinds(self) -> list[tuple[str, str]]:
        """(key, label) for each registered model, e.g. ("dr_plans.drplan", "DR plan")."""
        return [(key, label) for key, (_, label) in sorted(self._models.items())]

    def label_of(self, obj) -> str:
        entry = self._models.get(type(obj)._meta.label_lower)
        return entry[1] if entry else type(obj)._meta.verbose_name

    def resolve(self, key: str, pk: int):
        """The registered object KEY:PK, or LookupError saying what is wrong."""
        if key not in self._models:
            raise LookupError(f"{key!r} is not something an action item can name as its {self.role}.")
        model = self._models[key][0]
        obj = model._default_manager.filter(pk=pk).first()
        if obj is None:
            raise LookupError(f"No {self._models[key][1]} with id {pk}.")
        return obj

    def options(self) -> list[tuple[str, str]]:
        """Every registered object as ("key:pk", "Label: name"): the choices of a dashboard form."""
        choices = []
        for key, (model, label) in sorted(self._models.items()):
            choices += [(f"{key}:{obj.pk}", f"{label}: {obj}") for obj in model._default_manager.all()]
        return choices

    def parse(self, value: str):
        """The object a "key:pk" option names, or None for ""."""
        if not value:
            return None
        key, _, pk = value.rpartition(":")
        if not pk.isdigit():
            raise LookupError(f"{value!r} is not a {self.role}.")
        return self.resolve(key, int(pk))


targets = Links("target")
sources = Links("source")
