"""The install's VAPID key pair (RFC 8292): made on first use, kept in the database (comms.models.VapidKey
says why there), the public half given to browsers as applicationServerKey, the private half signing
each push's JWT (pywebpush, through py_vapid)."""

import base64
from email.utils import parseaddr

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from py_vapid import Vapid02

from ..models import VapidKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _new_pair() -> tuple[str, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return pem, b64url(point)


def key() -> VapidKey:
    """The one key pair, made now if there is none. Two processes making it at once keep the first one
    written (the singleton primary key): both then use that one."""
    found = VapidKey.objects.filter(pk=1).first()
    if found is not None:
        return found
    pem, public = _new_pair()
    try:
        with transaction.atomic():
            return VapidKey.objects.create(singleton=1, private_key=pem, public_key=public)
    except IntegrityError:
        return VapidKey.objects.get(pk=1)


def public_key() -> str:
    return key().public_key


def signer() -> Vapid02:
    return Vapid02.from_pem(key().private_key.encode())


def subject() -> str:
    """Who the push services may contact about Vigil's pushes: VIGIL_VAPID_SUBJECT, else DEFAULT_FROM_EMAIL."""
    return settings.VIGIL_VAPID_SUBJECT or f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"


def claims() -> dict:
    """A fresh dict each time: pywebpush adds aud (the endpoint's origin) and exp to the one it is given."""
    return {"sub": subject()}
