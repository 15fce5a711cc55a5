"""Reading VIGIL_SSO_GROUP_MAP: no Django imports, so the settings check it at start-up."""

ROLES = ("admin", "responder", "viewer")


class MapError(ValueError):
    """The map cannot be read: the message says which pair and why."""


def parse_group_map(text: str) -> dict[str, tuple[str, str]]:
    """{group: (role, team name or "")} from `group=role[:Team], ...` (commas or new lines)."""
    mapping = {}
    for pair in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not pair:
            continue
        group, sep, grant = pair.partition("=")
        role, _, team = grant.partition(":")
        group, role, team = group.strip(), role.strip().lower(), team.strip()
        if not sep or not group:
            raise MapError(f"{pair!r}: write group=role or group=role:Team.")
        if role not in ROLES:
            raise MapError(f"{pair!r}: the role must be one of {', '.join(ROLES)}.")
        mapping[group] = (role, team)
    return mapping
