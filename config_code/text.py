"""A plan as text (what vigil_plan prints) and as JSON (what the API returns).

Header values are never shown: they are where a monitor's credentials go (`${env:...}`), and a
plan is printed in CI logs and pull-request comments. Their names are.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from .plan import CREATE, DELETE, RELEASE, UPDATE, Change, Plan

SIGNS = {CREATE: "+", UPDATE: "~", DELETE: "-", RELEASE: "="}
HIDDEN = {"headers", "token"}  # header values; secrets (config_code.kinds.Kind.secrets)


def shown(name: str, value: Any) -> Any:
    if name in HIDDEN and isinstance(value, dict):
        return {header: "(hidden)" for header in value}
    if name in HIDDEN and isinstance(value, str):
        return "(hidden)"
    if isinstance(value, Decimal | datetime):
        return str(value)
    if isinstance(value, list):  # nested definitions (a schedule's rotations)
        return [{k: shown(k, v) for k, v in item.items()} if isinstance(item, dict) else item for item in value]
    return value


def _set_fields(change: Change) -> list[tuple[str, Any, Any]]:
    """A creation lists what the file sets; the defaults it leaves are the model's."""
    written = change.entry.definition.model_fields_set
    return [diff for diff in change.diffs if diff[0] in written and diff[0] != "key"]


def change_lines(change: Change) -> list[str]:
    head = f"{SIGNS[change.action]} {change.kind.name}.{change.key}: {change.action}"
    if change.action == RELEASE:
        return [head + " (no longer in the files; made outside config, so it stays, unmanaged)"]
    if change.action == DELETE:
        return [head + f" ({change.obj})"]
    if change.action == CREATE:
        return [head, *(f"    {name}: {shown(name, after)!r}" for name, _, after in _set_fields(change))]
    return [head, *(f"    {name}: {shown(name, a)!r} -> {shown(name, b)!r}" for name, a, b in change.diffs)]


def summary(plan: Plan) -> str:
    counts = ", ".join(f"{plan.count(action)} to {action}" for action in (CREATE, UPDATE, DELETE, RELEASE))
    return f"Plan: {counts}; {plan.unchanged} unchanged."


def render(plan: Plan) -> str:
    if plan.errors:
        return "\n".join([*(str(error) for error in plan.errors), f"{len(plan.errors)} error(s): nothing applied."])
    lines = [line for change in plan.changes for line in change_lines(change)]
    if plan.kept:
        lines.append(f"{len(plan.kept)} object(s) managed by config are no longer in the files; --prune removes them:")
        lines += [f"    {kind}.{key}" for kind, key in plan.kept]
    lines.append(summary(plan) if plan.changes else f"No changes: {plan.unchanged} object(s) as the files say.")
    return "\n".join(lines)


def as_json(plan: Plan) -> dict:
    return {
        "errors": [{"file": e.file, "line": e.line, "path": e.path, "message": e.message} for e in plan.errors],
        "changes": [
            {
                "action": change.action,
                "kind": change.kind.name,
                "key": change.key,
                "fields": {
                    name: {"before": shown(name, a), "after": shown(name, b)}
                    for name, a, b in (_set_fields(change) if change.action == CREATE else change.diffs)
                },
            }
            for change in ([] if plan.errors else plan.changes)  # with errors, no plan is one to trust
        ],
        "unchanged": plan.unchanged,
        "kept": [f"{kind}.{key}" for kind, key in plan.kept],
        "summary": f"{len(plan.errors)} error(s): nothing applied." if plan.errors else summary(plan),
    }
