"""Local fake Twilio and SendGrid APIs: threaded HTTP servers that answer like the providers
and record every request, so the official clients are tested for real.

A test scripts trouble with `fail_next(count, status, retry_after)`, `delay` (seconds
before each answer) and `refuse` (numbers or addresses answered with a permanent 400).
"""

import itertools
import json
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes
    status: int = 0

    @property
    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Server(ThreadingHTTPServer):
    # Set on the class: the listen() backlog is taken when the server is made (five by default, and
    # a burst of concurrent clients then waits a SYN retransmission, past a 1 s connect timeout).
    request_queue_size = 128
    daemon_threads = True


class FakeProvider:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.failures: list[tuple[int, str | None]] = []
        self.delay = 0.0
        self.refuse: set[str] = set()
        self.counter = itertools.count(1)
        self.server = Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeProvider":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, status: int = 500, retry_after: str | None = None) -> None:
        with self.lock:
            self.failures.extend([(status, retry_after)] * count)

    def _next_failure(self):
        with self.lock:
            return self.failures.pop(0) if self.failures else None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                if isinstance(self.request, ssl.SSLSocket):
                    self.request.do_handshake()  # here, on this request's thread (FakeVonage.start)
                super().setup()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client died mid-request: a provider takes nothing from it
                    self.close_connection = True
                    return
                record = Recorded("POST", self.path, dict(self.headers), body)
                with fake.lock:
                    fake.requests.append(record)
                if fake.delay:
                    time.sleep(fake.delay)
                failure = fake._next_failure()
                if failure:
                    record.status, retry_after = failure
                    headers = {"Retry-After": retry_after} if retry_after else {}
                    payload = {"code": 20000 + record.status, "message": "scripted failure"}
                    return self.answer(record.status, payload, headers)
                record.status, payload, headers = fake.answer_request(record)
                self.answer(record.status, payload, headers)

            def answer(self, status, payload, headers):
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer_request(self, record: Recorded) -> tuple[int, dict | None, dict]:
        """What to answer RECORD (a fake that reads headers overrides this)."""
        return self.answer(record.path, record.body)

    def answer(self, path: str, body: bytes) -> tuple[int, dict | None, dict]:
        raise NotImplementedError


class FakeTwilio(FakeProvider):
    """POST /2010-04-01/Accounts/<sid>/Messages.json and /Calls.json."""

    def answer(self, path, body):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("To") in self.refuse:
            return 400, {"code": 21211, "message": f"The 'To' number {form['To']} is not valid.", "status": 400}, {}
        prefix = "CA" if path.endswith("/Calls.json") else "SM"
        sid = f"{prefix}{next(self.counter):032x}"
        return 201, {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From")}, {}

    def accepted(self) -> list[Recorded]:
        return [r for r in self.requests if r.status == 201]

    def sent_to(self) -> list[str]:
        """The numbers of the messages and calls this fake accepted."""
        return [r.form["To"] for r in self.accepted()]


class FakeSendGrid(FakeProvider):
    """POST /v3/mail/send: 202 and an X-Message-Id, as SendGrid answers."""

    def answer(self, path, body):
        mail = json.loads(body)
        addresses = [to["email"] for p in mail["personalizations"] for to in p["to"]]
        if path != "/v3/mail/send":
            return 404, {"errors": [{"message": "not found"}]}, {}
        if any(address in self.refuse for address in addresses):
            return 400, {"errors": [{"message": "Does not contain a valid address.", "field": "to"}]}, {}
        return 202, None, {"X-Message-Id": uuid.uuid4().hex[:22]}

    def accepted_addresses(self) -> list[str]:
        """The addresses of the requests this fake accepted (not the failures)."""
        accepted = [r for r in self.requests if r.status == 202]
        return [to["email"] for r in accepted for p in r.json["personalizations"] for to in p["to"]]


class FakeReceiver(FakeProvider):
    """Any HTTP receiver (a webhook consumer, Slack, a Mastodon server): 200 with a small JSON body."""

    def answer(self, path, body):
        return 200, {"id": str(next(self.counter))}, {}


class FakeVonage(FakeProvider):
    """POST /sms/json (form), answered as Vonage's SMS API: HTTP 200 with a status per message, "0" accepted;
    POST /v1/calls (JSON), answered as its Voice API: 201 and the call's uuid, when the Authorization
    header is a JWT signed with the private key whose public half is `public_key` (else 401).

    Vonage's client speaks HTTPS only: start(tls=context) serves over TLS (the test trusts its CA).
    `refuse` numbers (as sent: no +) get status 3, "Invalid to number" (a call: 400).
    """

    public_key = ""
    application_id = ""

    def start(self, tls=None) -> "FakeVonage":
        if tls is not None:
            # The handshake on each request's own thread, not in the accept loop: one at a time there,
            # concurrent clients (comms.failover) would wait past their connect timeout.
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        return super().start()

    def answer_request(self, record):
        if record.path == "/v1/calls":
            return self.call(record.json, record.headers.get("Authorization", ""))
        return self.answer(record.path, record.body)

    def answer(self, path, body):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if path != "/sms/json":
            return 404, {"error": "not found"}, {}
        if form.get("to") in self.refuse:
            return 200, {"message-count": "1", "messages": [{"status": "3", "error-text": "Invalid to number"}]}, {}
        message = {
            "to": form.get("to"),
            "message-id": f"{next(self.counter):016X}",
            "status": "0",
            "remaining-balance": "10.00",
            "message-price": "0.03",
            "network": "12345",
        }
        return 200, {"message-count": "1", "messages": [message]}, {}

    def call(self, request: dict, authorization: str) -> tuple[int, dict, dict]:
        try:
            claims = jwt.decode(authorization.removeprefix("Bearer "), self.public_key, algorithms=["RS256"])
        except jwt.InvalidTokenError as exc:
            return 401, {"title": "Unauthorized", "detail": str(exc)}, {}
        if claims.get("application_id") != self.application_id:
            return 401, {"title": "Unauthorized", "detail": "unknown application"}, {}
        if request["to"][0]["number"] in self.refuse:
            return 400, {"title": "Bad Request", "invalid_parameters": [{"name": "to"}]}, {}
        uuid_ = str(uuid.uuid4())
        answer = {"uuid": uuid_, "status": "started", "direction": "outbound", "conversation_uuid": "CON-" + uuid_}
        return 201, answer, {}

    def calls(self) -> list[Recorded]:
        """The calls this fake accepted."""
        return [r for r in self.requests if r.path == "/v1/calls" and r.status == 201]

    def accepted(self) -> list[Recorded]:
        return [r for r in self.requests if r.status == 200 and r.form.get("to") not in self.refuse]

    def sent_to(self) -> list[str]:
        return ["+" + r.form["to"] for r in self.accepted()]


class FakeGateway(FakeProvider):
    """A generic HTTP SMS gateway: 200 and {"result": "queued", "id": "..."} for any body."""

    def answer(self, path, body):
        return 200, {"result": "queued", "id": f"gw-{next(self.counter)}"}, {}
