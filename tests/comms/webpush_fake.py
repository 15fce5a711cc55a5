"""A fake Web Push service on loopback that does what a real one checks, and what a device does.

Each device (FakeDevice) has its own EC P-256 key pair and 16-byte auth secret, generated here, and
an endpoint URL on the fake. On each POST the fake checks the VAPID JWT (RFC 8292: `Authorization:
vapid t=<jwt>, k=<public key>`, signed ES256 by k, aud the endpoint's origin, exp within 24 hours,
sub the configured subject), then decrypts the body as the device would (RFC 8291, aes128gcm, with
http_ece and the device's private key) and records the JSON it carried. Answers can be queued per
device (410, 429 with Retry-After, ...); otherwise 201.
"""

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeDevice:
    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: __import__("os").urandom(16))
    received: list = field(default_factory=list)
    answers: list = field(default_factory=list)  # (status, headers) to give, in order, before 201s

    def subscription_json(self) -> dict:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)}}


def check_vapid(authorization: str, audience: str, subject: str) -> dict:
    """The JWT's claims, after checking what a push service checks. Raises AssertionError."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = parts["t"], parts["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    assert len(signature) == 64
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # InvalidSignature
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience, claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"] == subject, claims
    claims["k"] = key
    return claims


class FakePushService:
    def __init__(self, subject: str):
        self.subject = subject
        self.devices: dict[str, FakeDevice] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def device(self, name: str) -> FakeDevice:
        device = FakeDevice(name, f"{self.url}/push/{name}")
        self.devices[name] = device
        return device

    def start(self) -> "FakePushService":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _receive(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        device = self.devices.get(path.rsplit("/", 1)[-1])
        if device is None:
            return 404, {}
        try:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(device.endpoint))
            claims = check_vapid(headers.get("Authorization", ""), origin, self.subject)
            assert headers.get("Content-Encoding") == "aes128gcm"
            assert int(headers.get("TTL", "-1")) > 0
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth_secret, version="aes128gcm"
            )
        except Exception as exc:  # recorded: the test fails on any
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return 400, {}
        with self.lock:
            if device.answers:
                return device.answers.pop(0)
            device.received.append({"payload": json.loads(plain), "claims": claims, "urgency": headers.get("Urgency")})
        return 201, {"Location": f"{self.url}/message/{len(device.received)}"}

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, headers = service._receive(self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
