"""manage.py export_status_page DIR: the whole page as static files, links that work on any static host."""

import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from comms.status import snapshot as snapshots


def export(directory: Path, *args) -> Path:
    call_command("export_status_page", str(directory), *args)
    return directory


def test_it_writes_pages_assets_feeds_and_json(outage, past_incident, tmp_path):
    site = export(tmp_path / "site")
    for path in (
        "index.html",
        "history/index.html",
        f"incidents/{outage.pk}/index.html",
        f"incidents/{past_incident.pk}/index.html",
        "404.html",
        "feed.atom",
        "feed.rss",
        "api/v2/summary.json",
        "api/v2/status.json",
        "api/v2/components.json",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json",
        "api/v2/scheduled-maintenances/upcoming.json",
        "api/v2/scheduled-maintenances/active.json",
        "_headers",
    ):
        assert (site / path).is_file(), path
    assert (site / "index.html.gz").is_file()
    assert list((site / "assets").glob("status.*.css")) and list((site / "assets").glob("status.*.js"))
    assert "Access-Control-Allow-Origin: *" in (site / "_headers").read_text()
    # A static host serves the page with the same policy as Vigil does (no inline script).
    line = next(line for line in (site / "_headers").read_text().splitlines() if "Content-Security-Policy:" in line)
    policy = dict(d.strip().partition(" ")[::2] for d in line.partition(":")[2].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    summary = json.loads((site / "api/v2/summary.json").read_text())
    assert summary["incidents"][0]["name"] == "Elevated API errors"


def test_every_link_between_exported_pages_resolves_to_a_file(outage, past_incident, tmp_path):
    site = export(tmp_path / "site")
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue  # links from the site's root path, for any depth
        base = "http://static.example/" + str(page.relative_to(site))
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            target = urljoin(base, href)
            if not target.startswith("http://static.example/"):
                continue
            path = urlsplit(target).path.lstrip("/")
            path = path + "index.html" if path == "" or path.endswith("/") else path
            assert (site / path).is_file(), (page, href)


def test_base_url_sets_the_links_in_the_json_and_feeds(outage, tmp_path):
    site = export(tmp_path / "site", "--base-url", "https://status.acme.example")
    summary = json.loads((site / "api/v2/summary.json").read_text())
    assert summary["page"]["url"] == "https://status.acme.example/"
    assert summary["incidents"][0]["shortlink"] == f"https://status.acme.example/incidents/{outage.pk}/"
    assert "https://status.acme.example/" in (site / "feed.atom").read_text()
    assert 'href="/assets/status.' in (site / "404.html").read_text()
    # Exporting publishes nothing: what Vigil itself serves keeps its own links.
    assert not snapshots.snapshot_path().exists()


def test_from_snapshot_needs_no_database(outage, tmp_path):
    snapshots.rebuild()

    def refuse(*args):
        raise OperationalError("database is down")

    with connection.execute_wrapper(refuse):
        site = export(tmp_path / "site", "--from-snapshot")
    assert "Elevated API errors" in (site / "index.html").read_text()


def test_from_snapshot_without_one_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="No status page snapshot"):
        export(tmp_path / "site", "--from-snapshot")
