"""SCIM 2.0 provisioning (django-scim2 at /scim/v2/): Okta and Entra ID create, change and deactivate
people and push their groups. The adapters here turn SCIM resources into calls to accounts.services
and accounts.mapping; nothing about a person changes any other way.

- Users are Django's users (the SCIM id is the primary key); the provider's externalId is kept on
  accounts.ScimAccount. A provisioned person gets no password: they sign in through the provider.
  A password in the request (Okta's password sync) is ignored.
- `active: false` and DELETE both deactivate (accounts.services.do_deactivate_user): nobody is
  deleted, so history keeps their name. `active: true` signs them back in; rotations are not restored.
- Groups are accounts.ScimGroup; each change re-applies VIGIL_SSO_GROUP_MAP to the people concerned.
- Entra ID sends booleans as strings ("False") in PATCH: they are read as booleans. Attributes
  Vigil does not keep (title, manager, phone numbers...) are accepted and ignored, as providers
  expect, rather than refused.
"""

import hmac
import json
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseNotFound
from django_scim import constants, exceptions
from django_scim.adapters import SCIMGroup, SCIMUser
from django_scim.middleware import SCIMAuthCheckMiddleware
from django_scim.models import SCIMServiceProviderConfig

from vigil.audit import Actor, client_ip, record
from vigil.people import SERVICE_KEY_RELATION

from . import services
from .models import ScimAccount
from .scim_filters import GroupFilter, UserFilter

USER_URN = constants.SchemaURI.USER + ":"
GROUP_URN = constants.SchemaURI.GROUP + ":"
MEMBER_FILTER = re.compile(r'^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$', re.IGNORECASE)


def base_location(request=None, *args, **kwargs) -> str:
    """Where resources' `location` points: Vigil's public address."""
    return settings.VIGIL_BASE_URL


def actor_of(request) -> Actor:
    return Actor(ip=client_ip(request), via="scim", user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


class TokenCheck(SCIMAuthCheckMiddleware):
    """The provider's bearer token (VIGIL_SCIM_TOKEN), compared in constant time; no token set: no SCIM (404)."""

    def process_request(self, request):
        token = settings.VIGIL_SCIM_TOKEN
        if not token:
            return HttpResponseNotFound()
        kind, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if kind.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            error = exceptions.AuthorizationError("A valid bearer token is required.")
            response = HttpResponse(json.dumps(error.to_dict()), content_type=constants.SCIM_CONTENT_TYPE, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        return None


class ServiceProviderConfig(SCIMServiceProviderConfig):
    def to_dict(self):
        config = super().to_dict()
        config["filter"] = {"supported": True, "maxResults": 50}
        config["changePassword"] = {"supported": False}
        return config


def as_bool(value) -> bool:
    """Entra ID's "True"/"False" as well as JSON's true/false."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise exceptions.BadRequestError(f'"active" should be a boolean, not {value!r}.')
    return value


def _operations(operations):
    """(op, attribute path, value) for each PATCH operation; an operation without a path whose value
    is an object (Okta's `{"op": "replace", "value": {"active": false}}`) is one per key."""
    for operation in operations:
        op = str(operation.get("op", "")).lower()
        if op not in constants.VALID_PATCH_OPS:
            raise exceptions.BadRequestError(f"Unknown PATCH op {operation.get('op')!r}.")
        path, value = operation.get("path"), operation.get("value")
        if path:
            yield op, path, value
        elif isinstance(value, dict) and op != "remove":
            yield from ((op, key, item) for key, item in value.items())
        else:
            raise exceptions.BadRequestError("A PATCH operation needs a path or an object value.", scim_type="noTarget")


def _strip(path: str, urn: str) -> str:
    return path[len(urn) :] if path.lower().startswith(urn.lower()) else path


class User(SCIMUser):
    id_field = "pk"
    ATTR_MAP = UserFilter.attr_map

    def __init__(self, obj, request=None):
        super().__init__(obj, request)
        self.active = None  # what the provider asked for; applied by save() through accounts.services
        self.external_id = None

    @property
    def emails(self):
        return [{"value": self.obj.email, "primary": True, "type": "work"}] if self.obj.email else []

    def to_dict(self):
        account = ScimAccount.objects.filter(user=self.obj).first()
        return {
            "schemas": [constants.SchemaURI.USER],
            "id": self.id,
            "externalId": account.external_id if account else None,
            "userName": self.obj.username,
            "name": {"givenName": self.obj.first_name, "familyName": self.obj.last_name},
            "displayName": self.display_name,
            "emails": self.emails,
            "active": self.obj.is_active,
            "groups": self.groups,
            "meta": self.meta,
        }

    def from_dict(self, d):
        """A whole User (POST, PUT): what it leaves out is emptied, as a full replace means."""
        if not d.get("userName"):
            raise exceptions.BadRequestError("userName is required.")
        self.set("userName", d["userName"])
        name = d.get("name") or {}
        self.obj.first_name = (name.get("givenName") or "")[:150]
        self.obj.last_name = (name.get("familyName") or "")[:150]
        self.obj.email = ""
        self.parse_emails(d.get("emails"))
        self.external_id = d.get("externalId") or ""
        if d.get("active") is not None:
            self.active = as_bool(d["active"])

    def set(self, path: str, value) -> None:
        """One attribute of a PATCH (add or replace; remove sends None)."""
        attr = _strip(path, USER_URN).lower()
        if attr == "active":
            self.active = as_bool(value)
        elif attr == "username":
            if not value:
                raise exceptions.BadRequestError("userName cannot be empty.")
            self.obj.username = str(value)[:150]
        elif attr == "name" and isinstance(value, dict):
            for key, item in value.items():
                self.set(f"name.{key}", item)
        elif attr in ("name.givenname", "name.familyname"):
            field = "first_name" if attr == "name.givenname" else "last_name"
            setattr(self.obj, field, (value or "")[:150])
        elif attr == "emails" or attr.startswith("emails["):
            if value in (None, "", []):
                self.obj.email = ""
            elif isinstance(value, str):
                self.validate_email(value)
                self.obj.email = value
            else:
                self.parse_emails(value)
        elif attr == "externalid":
            self.external_id = value or ""
        # Anything else (displayName, title, phoneNumbers, the enterprise extension) Vigil does not keep.

    def handle_operations(self, operations):
        for op, path, value in _operations(operations):
            self.set(path, None if op == "remove" else value)
        self.save()

    def save(self):
        actor = actor_of(self.request)
        is_new = self.obj.pk is None
        try:
            with transaction.atomic():
                if is_new:
                    self.obj.set_unusable_password()
                    self.obj.is_active = True
                    self._check_unique()
                self.obj.save()
                if self.external_id is not None:
                    ScimAccount.objects.update_or_create(user=self.obj, defaults={"external_id": self.external_id})
                record(actor, "user.scim_create" if is_new else "user.scim_update", self.obj)
                services.do_sync_scim_groups(actor, self.obj)
                if self.active is False:
                    services.do_deactivate_user(actor, self.obj)
                elif self.active is True:
                    services.do_reactivate_user(actor, self.obj)
        except IntegrityError as exc:
            raise exceptions.IntegrityError(str(exc), scim_type="uniqueness") from None
        self.obj.refresh_from_db()

    def _check_unique(self):
        if get_user_model().objects.filter(username__iexact=self.obj.username).exists():
            raise exceptions.IntegrityError(f"userName {self.obj.username!r} is taken.", scim_type="uniqueness")

    def delete(self):
        """DELETE deactivates: the person's name stays on everything they did."""
        services.do_deactivate_user(actor_of(self.request), self.obj)


class Group(SCIMGroup):
    ATTR_MAP = GroupFilter.attr_map

    def __init__(self, obj, request=None):
        super().__init__(obj, request)
        self.member_ids = None  # a full list to set (POST, PUT, PATCH replace); None: unchanged
        self.added, self.removed = set(), set()

    @property
    def display_name(self):
        return self.obj.display_name

    @property
    def members(self):
        users = self.obj.members.all() if self.obj.pk else []
        adapters = [User(user, self.request) for user in users]
        return [{"value": u.id, "$ref": u.location, "display": u.display_name} for u in adapters]

    def to_dict(self):
        return {
            "schemas": [constants.SchemaURI.GROUP],
            "id": self.id,
            "externalId": self.obj.external_id or None,
            "displayName": self.obj.display_name,
            "members": self.members,
            "meta": self.meta,
        }

    def from_dict(self, d):
        if not d.get("displayName"):
            raise exceptions.BadRequestError("displayName is required.")
        self.obj.display_name = d["displayName"][:254]
        self.obj.external_id = d.get("externalId") or ""
        self.member_ids = _ids(d.get("members") or [])

    def handle_operations(self, operations):
        """Okta: replace of displayName in an object, add to members, remove `members[value eq "id"]`,
        replace members. Entra ID: Add and Remove of members with a value list, Replace of displayName."""
        for op, path, value in _operations(operations):
            attr = _strip(path, GROUP_URN)
            matched = MEMBER_FILTER.match(attr)
            if matched and op == "remove":
                self.removed.add(matched.group(1))
            elif attr.lower() == "members":
                ids = _ids(value or [])
                if op == "add":
                    self.added |= set(ids)
                elif op == "remove":
                    self.removed |= (
                        set(ids) if value else {str(pk) for pk in self.obj.members.values_list("pk", flat=True)}
                    )
                else:
                    self.member_ids = ids
            elif attr.lower() == "displayname" and op != "remove":
                self.obj.display_name = str(value)[:254]
            elif attr.lower() == "externalid":
                self.obj.external_id = "" if op == "remove" else str(value or "")
            # "id" (Okta repeats it in a replace) and anything else: nothing to keep.
        self.save()

    def save(self):
        actor = actor_of(self.request)
        is_new = self.obj.pk is None
        try:
            with transaction.atomic():
                before = set() if is_new else set(self.obj.members.values_list("pk", flat=True))
                self.obj.save()
                after = set(before) if self.member_ids is None else set(_users(self.member_ids))
                after = (after | set(_users(self.added))) - {int(pk) for pk in self.removed if pk.isdigit()}
                self.obj.members.set(after)
                record(actor, "scim_group.create" if is_new else "scim_group.update", self.obj, members=sorted(after))
                # A rename can change what the map gives everyone in the group, so all of them are re-applied.
                _sync(actor, before | after)
        except IntegrityError as exc:
            raise exceptions.IntegrityError(str(exc), scim_type="uniqueness") from None

    def delete(self):
        actor = actor_of(self.request)
        with transaction.atomic():
            members = set(self.obj.members.values_list("pk", flat=True))
            record(actor, "scim_group.delete", self.obj, display_name=self.obj.display_name)
            self.obj.delete()
            _sync(actor, members)


def _ids(members) -> list[str]:
    if not isinstance(members, list):
        raise exceptions.BadRequestError("members must be a list of {value: id}.")
    return [str(m.get("value")) for m in members if isinstance(m, dict) and m.get("value") is not None]


def _users(ids) -> list[int]:
    """The primary keys of the users IDS name; an id that is no user is refused (400), as Okta expects."""
    pks = {int(i) for i in ids if str(i).isdigit()}
    # A service key's account is nobody a group may hold: a group's role would go beyond the key's scope.
    users = get_user_model().objects.filter(pk__in=pks, **{f"{SERVICE_KEY_RELATION}__isnull": True})
    found = set(users.values_list("pk", flat=True))
    if len(found) != len(set(ids)):
        raise exceptions.BadRequestError("A member is not a user Vigil knows.")
    return sorted(found)


def _sync(actor: Actor, pks) -> None:
    for user in get_user_model().objects.filter(pk__in=pks):
        services.do_sync_scim_groups(actor, user)


def extra_filter_kwargs_getter(model):
    """django-scim2's GET_EXTRA_MODEL_FILTER_KWARGS_GETTER: a user's SCIM id is their number, so an id
    that is not one names nobody (404), instead of failing the lookup (500); nor does a service key's."""

    def extra_filter_kwargs(request, uuid=None, *args, **kwargs):
        if uuid is None or model is not get_user_model():
            return {}
        if not str(uuid).isdigit():
            raise exceptions.NotFoundError(uuid)
        # One person by id (GET, PUT, PATCH, DELETE): a service key's account is not the provider's.
        return {f"{SERVICE_KEY_RELATION}__isnull": True}

    return extra_filter_kwargs


def extra_exclude_kwargs_getter(model):
    """django-scim2's GET_EXTRA_MODEL_EXCLUDE_KWARGS_GETTER: the list of users leaves out service keys'
    accounts (accounts.models.ServiceKey), which no identity provider made or may change. (A filtered
    search is a raw query this cannot exclude from: accounts.scim_filters.UserFilter drops them.)"""

    def extra_exclude_kwargs(request, *args, **kwargs):
        return {f"{SERVICE_KEY_RELATION}__isnull": False} if model is get_user_model() else {}

    return extra_exclude_kwargs
