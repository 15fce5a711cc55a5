"""manage.py export_status_page DIR: the status page as static files, for any static host or CDN.

Writes every page (DIR/index.html, DIR/history/index.html, DIR/incidents/<id>/index.html, ...), its
assets, the Atom and RSS feeds and the Statuspage JSON (DIR/api/v2/*.json), each with a .gz copy
for servers that send precompressed files, plus DIR/_headers (the CORS and content-type rules,
in the format Netlify and Cloudflare Pages read). Pages link to each other relatively, so DIR can
be served at a site's root or under a prefix.
"""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from comms.status import snapshot as snapshots
from vigil.csp import policy_header

HEADERS = """/*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=30
/api/*
  Content-Type: application/json
/feed.atom
  Content-Type: application/atom+xml; charset=utf-8
/feed.rss
  Content-Type: application/rss+xml; charset=utf-8
/assets/*
  Cache-Control: public, max-age=31536000, immutable
"""


def headers() -> str:
    """HEADERS, with the Content-Security-Policy Vigil itself serves the page with (vigil.csp)."""
    first, _, rest = HEADERS.partition("\n")
    return f"{first}\n  Content-Security-Policy: {policy_header()}\n{rest}"


class Command(BaseCommand):
    help = "Write the status page's pages, assets, feeds and Statuspage JSON as static files into DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where to write (made if missing; files there are overwritten)")
        parser.add_argument(
            "--base-url",
            help="the address the files will be served from, for the links in the JSON and the feeds "
            "(default: VIGIL_STATUS_URL, else VIGIL_BASE_URL/status/)",
        )
        parser.add_argument(
            "--from-snapshot",
            action="store_true",
            help="write the last stored snapshot, without the database (its links are those it was built with)",
        )

    def handle(self, directory, base_url=None, from_snapshot=False, **options):
        if from_snapshot:
            snapshot = snapshots.current()
            if snapshot is None:
                raise CommandError(f"No status page snapshot in {snapshots.snapshot_dir()} (nor in Redis).")
        else:
            snapshot = snapshots.build(url=base_url)
        root = Path(directory).resolve()
        written = 0
        for path, doc in sorted(snapshot.documents.items()):
            target = (root / path).resolve()
            if root not in target.parents:
                raise CommandError(f"Refusing to write {path!r} outside {root}.")
            _write(target, doc.body)
            if doc.gzipped is not None:
                _write(target.with_name(target.name + ".gz"), doc.gzipped)
            written += 1
        _write(root / "_headers", headers().encode())
        taken = snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        self.stdout.write(f"Wrote {written} documents (as of {taken}) to {root}")


def _write(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, target)
