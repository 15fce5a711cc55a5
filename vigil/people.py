"""How a person is named, the same way everywhere: pages, messages, calendars, the API."""


def display_name(user) -> str:
    """Their full name, else their username; "—" for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
