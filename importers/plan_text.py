"""The plan and the outcome of an import as lines of text, for the command and its tests."""

from .base import Plan, Result


def plan_lines(plan: Plan, dry_run: bool) -> list[str]:
    to_create = plan.to_create
    lines = [f"Import from {plan.source}{' (dry run: nothing is written)' if dry_run else ''}"]
    lines.append(f"Will create ({len(to_create)}):")
    lines += [f"  {item.summary}" for item in to_create]
    approximate = [item for item in to_create if item.approximations]
    lines.append(f"Maps approximately ({len(approximate)}):")
    for item in approximate:
        lines += [f"  {item.summary}:"] + [f"    - {note}" for note in item.approximations]
    lines.append(f"Cannot map ({len(plan.cannot_map)}):")
    lines += [f"  {what}: {why}" for what, why in plan.cannot_map]
    if plan.invalid:
        lines.append(f"Will fail ({len(plan.invalid)}):")
        lines += [f"  {what}: {error}" for what, error in plan.invalid]
    already = [item for item in plan.items if item.key in plan.imported]
    lines.append(f"Imported by an earlier run, skipped ({len(already)})")
    return lines


def result_lines(result: Result) -> list[str]:
    lines = [
        f"Created {len(result.created)}, skipped {len(result.skipped)} imported before, {len(result.errors)} errors."
    ]
    if result.errors:
        lines.append("Errors (not imported):")
        lines += [f"  {error}" for error in result.errors]
    return lines
