"""What a team's service key (accounts.ServiceKey) may apply: a check over the computed plan.

Any key may plan (it only reads). Applying needs a write key, and then every change of the plan must be
one the key could make by the API: its kind among the key's kinds (accounts.scopes.WRITABLE_KINDS, by
model label; teams and component groups are in no key's list, so they stay an admin's), the object its
team's (vigil.ownership), and a new object given to its team or to none (it then gets the key's team:
`default_team_id` in plan and apply). A key never deletes (no key holds delete): pruning what config made
is an admin's. Every refusal is listed at once and nothing is applied.

Objects the files name but do not change (a team entry that is already as written) are no change, so a
key's files may name its own team when config manages it.
"""

from accounts.scopes import WRITABLE_KINDS
from vigil import ownership

from .loader import ConfigError
from .plan import CREATE, DELETE, RELEASE, UPDATE, Change, Plan


def label(change: Change) -> str:
    """The kind's model label (`monitoring.monitor`), the name a key's kinds use."""
    return change.kind.model._meta.label_lower


def _error(change: Change, message: str, field_name: str | None = None) -> ConfigError:
    if change.entry is not None:
        return change.entry.error(field_name, message)
    return ConfigError("", None, f"{change.kind.name}.{change.key}", message)


def _kind_refusal(change: Change, kinds: list[str]) -> str | None:
    if label(change) not in WRITABLE_KINDS:
        return f"Only a Vigil admin may apply {change.kind.name}: a service key cannot be given {label(change)}."
    if label(change) not in kinds:
        return f"This key may not write {change.kind.name}: it lacks the kind {label(change)}."
    if change.action == DELETE:
        return "A service key never deletes: a Vigil admin applies --prune for deletions."
    return None


def _team_refusal(user, change: Change, plan: Plan) -> str | None:
    """Why USER may not change this object or give it the team its file names, or None."""
    model = change.kind.model
    action = "add" if change.action == CREATE else "change"
    perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    if change.obj is not None and not ownership.may_change(user, change.obj, perm):
        return ownership.refusal(change.obj)
    if change.action not in (CREATE, UPDATE) or "team" not in change.kind.fields:
        return None
    team_key = change.entry.definition.team
    changed = change.action == CREATE or any(name == "team" for name, _, _ in change.diffs)
    if team_key is None or not changed:
        return None  # no team: the key's (default_team_id); unchanged: checked with the object above
    team = plan.objects.get("teams", {}).get(team_key)
    if team is None:
        return f"It names the team {team_key!r}, which is not the key's team."
    if why := ownership.target_refusal(user, model, {ownership.direct_team_field(model): team.pk}, perm):
        return f"It names the team {team}. {why}"
    return None


def key_refusals(user, kinds: list[str], plan: Plan) -> list[ConfigError]:
    """Every change of PLAN that USER, the account of a write key of KINDS, may not make; empty if none."""
    errors = []
    for change in plan.changes:
        if change.action not in (CREATE, UPDATE, DELETE, RELEASE):
            continue
        if why := _kind_refusal(change, kinds):
            errors.append(_error(change, why))
        elif why := _team_refusal(user, change, plan):
            errors.append(_error(change, why, "team" if change.obj is None else None))
    return errors
