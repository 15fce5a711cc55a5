"""The README's screenshots: the dashboard and the public status page, taken from a throwaway Vigil.

    bin/screenshots                 # writes docs/screenshots/dashboard.png and status-page.png
    bin/screenshots --out DIR       # writes them to DIR instead

In a temporary VIGIL_VAR_DIR on the SQLite default (never the database or Redis of the environment):
migrate, load the demo data (seed_demo, as bin/run does), declare an open incident so the dashboard has
something on fire, start gunicorn on a free loopback port, run one round of the demo monitors' checks
(they watch this Vigil itself, so they probe nothing but that port), sign in through the login form and
save both pages at 1280x800 in the light scheme with Debian's Chromium, launched as the browser tests
launch it (tests/browser_harness.py). Nothing is sent off the machine: no worker runs, messages would go
to the sandbox channel, and every address the pages and probes reach is 127.0.0.1.
"""

import argparse
import io
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # vigil, the apps and tests.browser_harness, whatever the working directory
VIEWPORT = {"width": 1280, "height": 800}
ADMIN = "admin"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where to write the PNGs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="vigil-screenshots-"))
    try:
        port = free_port()
        env = throwaway_environment(var, port)
        os.environ.update(env)
        password = seed()
        server = start_server(env, port, var / "gunicorn.log")
        try:
            check_monitors_once()
            take(f"http://127.0.0.1:{port}", password, args.out)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    for name in ("dashboard.png", "status-page.png"):
        print(f"screenshots: wrote {args.out / name} ({(args.out / name).stat().st_size // 1024} KB)")
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throwaway_environment(var: Path, port: int) -> dict[str, str]:
    """Settings for a Vigil that lives in VAR and answers on 127.0.0.1:PORT, whatever the environment says."""
    return {
        "DJANGO_SETTINGS_MODULE": "vigil.settings",
        "VIGIL_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'vigil.sqlite3'}",
        "REDIS_URL": "",
        "VIGIL_STATUS_DIR": "",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # DEBUG on: WhiteNoise serves the static files from the source tree, so no collectstatic (7 s here).
        "DEBUG": "1",
        "VIGIL_HTTPS": "0",
        "VIGIL_REQUIRE_ADMIN_2FA": "0",
        "VIGIL_BASE_URL": f"http://127.0.0.1:{port}",
        "VIGIL_PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
        "VIGIL_OUTBOUND_ALLOWED_NETWORKS": "",
        "VIGIL_COMMS_SANDBOX": "1",
        "EMAIL_URL": "consolemail://",
    }


def seed() -> str:
    """Migrate, load the demo data and declare an open incident; return the admin's password."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from comms.models import StatusPageBranding
    from incidents.models import Component, ComponentStatus, Incident, PublicStatus
    from incidents.services import do_declare, do_post_update
    from vigil.audit import Actor
    from vigil.roles import Role, assign_role
    from vigil.services import do_record_heartbeat

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    password = secrets.token_urlsafe(16)
    # An admin by role, not a superuser: the first superuser is asked to name the status page at the
    # top of every page (comms.status.setup), which the picture does not need. The page is named here.
    admin = get_user_model().objects.create_user(ADMIN, email="admin@example.com", password=password)
    assign_role(admin, Role.ADMIN)
    branding = StatusPageBranding.load()
    branding.name = "Example Cloud"
    branding.save()

    oncall = get_user_model().objects.get(username="oncall")
    actor = Actor(user=oncall, via="demo")
    incident, _ = do_declare(
        actor,
        title="Card payments time out for some customers",
        severity="sev2",
        summary="About one checkout in ten times out at the payment step.",
        components={Component.objects.get(name="Payments"): ComponentStatus.DEGRADED},
        commander=oncall,
        paging=False,  # nobody to page: no worker runs here
    )
    # Declared 18 minutes ago, then its first public update (which rebuilds the status page's snapshot).
    Incident.objects.filter(pk=incident.pk).update(started_at=timezone.now() - timedelta(minutes=18))
    incident.refresh_from_db()
    do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Some card payments time out. We are investigating.")
    # The worker's heartbeat, as a worker records it every 30 s: none runs for a picture.
    do_record_heartbeat("worker@screenshots")
    connections.close_all()
    return password


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "vigil.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"screenshots: the web server did not answer on port {port}:\n{log.read_text()[-2000:]}")


def check_monitors_once() -> None:
    """One round of the demo monitors' checks, as the dispatcher and a probe worker would run it."""
    from django.db import connections

    from monitoring import dispatch, tasks

    dispatch.dispatch(send=tasks.run_checks)
    connections.close_all()


def take(base_url: str, password: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    # tests.conftest first, as pytest loads them: it imports the harness at its end, the harness imports it.
    import tests.conftest  # noqa: F401
    from tests.browser_harness import CHROMIUM_ARGS, CHROMIUM_PATH

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport=VIEWPORT, color_scheme="light").new_page()
            page.goto(f"{base_url}/login/")
            page.fill("#id_username", ADMIN)
            page.fill("#id_password", password)
            with page.expect_navigation():
                page.click("form button[type=submit]")
            page.goto(f"{base_url}/", wait_until="networkidle")  # the live parts filled in
            page.screenshot(path=str(out / "dashboard.png"))
            page.goto(f"{base_url}/status/", wait_until="networkidle")
            page.screenshot(path=str(out / "status-page.png"))
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
