"""What every sign-in door that makes accounts shares (OIDC and SAML: just-in-time users)."""

import re

from django.contrib.auth import get_user_model


def unique_username(wanted: str) -> str:
    """WANTED made a valid Django username (letters, digits and @.+-_, at most 140 characters, so a
    suffix fits) that no account has yet, case-insensitively: "ann", then "ann-2", "ann-3"..."""
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    users = get_user_model().objects
    name, n = base, 1
    while users.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name
