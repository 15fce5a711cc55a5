"""Configuration rows (backups, call-tree levels, vendors): saved from a validated form, audited."""

from django.db import transaction
from django.forms import ModelForm

from vigil.audit import Actor, record


@transaction.atomic
def do_save_config(actor: Actor, form: ModelForm, **fixed):
    """Save FORM's instance (with FIXED fields set, e.g. its plan) and its many-to-many choices."""
    instance = form.save(commit=False)
    created = instance.pk is None
    for name, value in fixed.items():
        setattr(instance, name, value)
    instance.save()
    form.save_m2m()
    record(actor, f"dr_{instance._meta.model_name}.{'create' if created else 'update'}", instance)
    return instance


@transaction.atomic
def do_delete_config(actor: Actor, instance) -> None:
    record(actor, f"dr_{instance._meta.model_name}.delete", instance)
    instance.delete()


@transaction.atomic
def do_add_vendor(actor: Actor, plan, form: ModelForm):
    """Save a new vendor from FORM and put it on PLAN's contacts."""
    vendor = do_save_config(actor, form)
    plan.vendors.add(vendor)
    return vendor


@transaction.atomic
def do_save_serialized(actor: Actor, serializer, **fixed):
    """The API's twin of do_save_config: save a validated DRF serializer and audit it."""
    created = serializer.instance is None
    instance = serializer.save(**fixed)
    record(actor, f"dr_{instance._meta.model_name}.{'create' if created else 'update'}", instance)
    return instance
