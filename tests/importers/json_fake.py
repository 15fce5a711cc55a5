"""A fake JSON API on 127.0.0.1 (plain HTTP, a thread), for the importers that read a tool's REST API.

The tool's module gives the credential it expects, the paths to rate limit once (answered 429
with Retry-After: 0 the first time) and `answer(path, query) -> (status, body)` in the tool's
documented shapes. Every request's path and query is kept in `requests`.
"""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeJsonApi:
    def __init__(self, authorization: str, answer: Callable, refused: dict, rate_limit_once=(), throttled=None):
        self.authorization, self.answer, self.refused = authorization, answer, refused
        self.rate_limit_once = set(rate_limit_once)
        self.throttled = throttled or {"message": "Too many requests"}
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                fake.requests.append(self.path)
                if self.headers.get("Authorization") != fake.authorization:
                    return self._send(401, fake.refused)
                if url.path in fake.rate_limit_once:
                    fake.rate_limit_once.discard(url.path)
                    return self._send(429, fake.throttled, {"Retry-After": "0", "X-RateLimit-State": "THROTTLED"})
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                return self._send(*fake.answer(url.path, query, fake.url))

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
