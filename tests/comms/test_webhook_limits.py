"""What a webhook receiver can do to a sender (issue #14): drip its answer, or send an endless one.

Channels post through vigil.http, which gives every request one deadline (VIGIL_HTTP_DEADLINE)
and reads at most VIGIL_HTTP_MAX_BYTES of the answer.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from comms.channels import get_channel
from comms.channels.base import DeliveryError, Message


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        if self.path == "/drip":  # a byte a second: no single read ever waits long
            self.send_header("Content-Length", "20")
            self.end_headers()
            for _ in range(20):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(1)
        else:  # /big: 3 MB
            self.send_header("Content-Length", str(3 << 20))
            self.end_headers()
            self.wfile.write(b"x" * (3 << 20))


@pytest.fixture
def receiver(loopback_receivers):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def webhook(url: str) -> Message:
    return Message(id=1, medium="webhook", destination=url, body="{}", secret="k3y")


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline(receiver, settings):
    settings.VIGIL_HTTP_DEADLINE = 2.0
    settings.VIGIL_COMMS_HTTP_TIMEOUT = 2.0  # what bounded each read before the deadline existed
    started = time.monotonic()
    outcome = get_channel("webhook").attempt(webhook(f"{receiver}/drip"))
    assert time.monotonic() - started < 3.5
    assert isinstance(outcome, DeliveryError) and not outcome.permanent  # tried again later
    assert "no complete answer within 2 s" in outcome.reason


def test_an_answer_larger_than_the_cap_is_not_read(receiver, settings):
    settings.VIGIL_HTTP_MAX_BYTES = 1 << 20
    outcome = get_channel("webhook").attempt(webhook(f"{receiver}/big"))
    assert isinstance(outcome, DeliveryError) and "larger than 1048576 bytes" in outcome.reason
