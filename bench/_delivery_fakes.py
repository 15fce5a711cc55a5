"""The local providers bench/delivery.py sends pages to: the tests' fakes (tests/comms/fakes.py and
webpush_fake.py), each answering after a set latency and stamping, per destination, the moment it
accepted a message (time.time(), the clock the bench stamps its page requests with).

Destinations: a push device's name (the last segment of its endpoint), an ntfy topic, a phone number
(E.164, as Vigil gives it). A destination accepted twice by one fake is a duplicate.
"""

import json
import secrets
import threading
import time
from collections import defaultdict

from tests.comms.fakes import FakeProvider, FakeTwilio, FakeVonage
from tests.comms.webpush_fake import FakePushService


class Stamps:
    """Acceptance times per destination, shared by a fake's handler threads."""

    def __init__(self):
        self.accepted: dict[str, list[float]] = defaultdict(list)
        self.stamp_lock = threading.Lock()

    def stamp(self, destination: str) -> None:
        now = time.time()
        with self.stamp_lock:
            self.accepted[destination].append(now)

    def first(self, destination: str) -> float | None:
        with self.stamp_lock:
            times = self.accepted.get(destination)
            return times[0] if times else None

    def count(self, destinations) -> int:
        with self.stamp_lock:
            return sum(1 for d in destinations if self.accepted.get(d))

    def duplicates(self, destinations) -> int:
        """Second and later acceptances of DESTINATIONS (this run's: a fake serves several runs)."""
        with self.stamp_lock:
            return sum(max(0, len(self.accepted.get(d, ())) - 1) for d in destinations)


class PushService(FakePushService, Stamps):
    """The fake push service (checks VAPID, decrypts as the device would), LATENCY seconds per request."""

    def __init__(self, subject: str, latency: float):
        FakePushService.__init__(self, subject)
        Stamps.__init__(self)
        self.server.daemon_threads = True
        self.latency = latency

    def _receive(self, path, headers, body):
        time.sleep(self.latency)
        status, answer = super()._receive(path, headers, body)
        if status == 201:
            self.stamp(path.rsplit("/", 1)[-1])
        return status, answer

    def payloads(self, name: str) -> list[dict]:
        device = self.devices.get(name)
        return [m["payload"] for m in device.received] if device else []


class Ntfy(FakeProvider, Stamps):
    """POST / with a JSON message, answered 200 with the message's JSON as ntfy does."""

    def __init__(self):
        FakeProvider.__init__(self)
        Stamps.__init__(self)
        self.messages: dict[str, list[dict]] = defaultdict(list)

    def answer(self, path, body):
        message = json.loads(body)
        with self.lock:
            self.messages[message["topic"]].append(message)
        self.stamp(message["topic"])
        return 200, {"id": secrets.token_hex(6), "time": int(time.time()), "event": "message", **message}, {}


class Twilio(FakeTwilio, Stamps):
    """Twilio's Messages API. `down_status` set: every request is answered with it (an outage)."""

    def __init__(self):
        FakeTwilio.__init__(self)
        Stamps.__init__(self)
        self.down_status = 0

    def _next_failure(self):
        return (self.down_status, None) if self.down_status else super()._next_failure()

    def answer(self, path, body):
        status, payload, headers = super().answer(path, body)
        if status == 201:
            self.stamp(payload["to"])
        return status, payload, headers


class Vonage(FakeVonage, Stamps):
    """Vonage's SMS API (over TLS: its client speaks HTTPS only)."""

    def __init__(self):
        FakeVonage.__init__(self)
        Stamps.__init__(self)

    def answer(self, path, body):
        status, payload, headers = super().answer(path, body)
        if status == 200 and payload["messages"][0]["status"] == "0":
            self.stamp("+" + payload["messages"][0]["to"])
        return status, payload, headers
