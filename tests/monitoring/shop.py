"""A small site on loopback with a login form, for scripted browser checks (tests/monitoring/test_browser_*).

GET /away redirects to a documentation address (192.0.2.10), which the probes' address rule refuses.
`broken = True` makes the login answer 500 with a page that logs console errors, as a bad deploy would.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PASSWORD = "s3cret"
FORM = b"""<!doctype html><title>Shop</title>
<form method="post" action="/login">
  <input id="user" name="user"> <input id="password" name="password" type="password">
  <button type="submit">Log in</button>
</form>"""
BROKEN = b"""<!doctype html><title>Error</title><p>Internal error</p>
<script>console.error("checkout service unavailable"); undefinedFunction();</script>"""

# Steps that log in and expect the welcome page (the password by name, from the worker's secrets).
LOGIN_STEPS = [
    {"fill": "#user", "value": "ada"},
    {"fill": "#password", "value": "${secret:SHOP_PASSWORD}"},
    {"click": "button[type=submit]", "name": "log in"},
    {"expect_text": "Welcome, ada", "name": "see the welcome"},
    {"expect_status": 200},
]


class Shop:
    def __init__(self):
        self.broken = False
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/away":  # a redirect to an address the probes may not reach
                    self.send_response(302)
                    self.send_header("Location", "http://192.0.2.10/admin")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.answer(200, FORM)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                if shop.broken:
                    return self.answer(500, BROKEN)
                if form.get("password") != [PASSWORD]:
                    return self.answer(401, b"<p>Wrong password</p>")
                self.answer(200, b"<h1 id=greeting>Welcome, " + form["user"][0].encode() + b"</h1>")

            def answer(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"

    def start(self) -> "Shop":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
