from .models import Stakeholder, StakeholderGroup


def seed() -> None:
    group, _ = StakeholderGroup.objects.get_or_create(
        name="Enterprise customers", defaults={"description": "Customers on an enterprise contract"}
    )
    for name, org, email in [
        ("Ada Customer", "Acme Corp", "ops@acme.example"),
        ("Grace Buyer", "Globex", "it@globex.example"),
    ]:
        person, _ = Stakeholder.objects.get_or_create(name=name, defaults={"organisation": org, "email": email})
        person.groups.add(group)
