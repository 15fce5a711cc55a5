from .roles import role_of


def vigil(request):
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else None
    return {"vigil_role": role.value if role else None}
