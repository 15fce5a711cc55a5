"""Mentions: scored and stored per second, and 500 feeds polled from a local server.

    .venv/bin/python bench/mentions.py [--quick] [--mentions 20000] [--feeds 500]

It makes a PostgreSQL database (vigil_bench_mentions, dropped and made again), migrates it, and
opens an incident on a "Checkout" component (with VIGIL_REPUTATION_KEYWORDS set), so every
mention goes through the whole pipeline: VADER's score, the brand, the link to the open
incident, the duplicate check, the insert. Then, alternating in rounds so that all three are
measured side by side on this noisy machine:

- vigil: reputation.services.ingest, 500 mentions a call, as a feed poll or a webhook
  batch stores them (two indexed reads for duplicates, one INSERT ... ON CONFLICT DO NOTHING);
- baseline_one_insert: the same scoring, then one INSERT per mention in autocommit
  (Mention.objects.create), as a naive receiver would store them;
- scoring_alone: VADER's score and label only, nothing stored: the ceiling of any pipeline.

Feeds: a threaded http.server in another process serves --feeds RSS feeds of --entries entries
each, with ETag and Last-Modified, answering 304 to a conditional request. Vigil polls them
all as beat's task does (feeds.poll_due: claim, fetch and parse in a pool of
VIGIL_REPUTATION_POLL_CONCURRENCY threads, store each feed in its own transaction): first
every feed is new (200, parsed, its mentions imported), then every feed is unchanged (304).

Right after the polls, the floor of the importing poll (issue #23): the same documents parsed one
after another with the same parser (feedparser.parse, as reputation.feeds.parse calls it), nothing
fetched, converted or stored: parse_alone_500_s.

The last line printed is JSON: mentions_per_s (vigil's), the baselines, feeds_500_s (the first,
importing poll), feeds_500_not_modified_s, parse_alone_500_s and the goals, each a ratio measured
in this run: share_of_scoring_alone at least GOAL_SHARE_OF_SCORING, feeds_vs_parse_alone (feeds_500_s
over parse_alone_500_s) at most GOAL_FEEDS_VS_PARSE.
"""

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.alerts import drop_database, free_port, recreate_database  # noqa: E402

GOAL_MENTIONS_PER_S = 2000
GOAL_FEEDS_S = 60
GOAL_SHARE_OF_SCORING = 0.5  # stored mentions per second, over scored alone
GOAL_FEEDS_VS_PARSE = 2.0  # 500 feeds polled, over the same 500 documents parsed alone
BATCH = 500

SUBJECTS = [
    "Acme checkout", "The Acme API", "Acme support", "The Acme dashboard", "Acme billing", "Acme's status page",
    "Checkout", "The mobile app", "Globex", "Their export feature", "The new Acme pricing", "Acme webhooks",
]  # fmt: skip
OPINIONS = [
    "is down again", "is painfully slow today", "works great", "fixed my issue in minutes", "keeps timing out",
    "is the best tool we use", "lost my order", "has been flawless for a year", "returns 500 errors",
    "is confusing", "got a lovely redesign", "charged me twice", "is back up", "is fine I guess",
]  # fmt: skip
TAILS = [
    "", " #outage", " Thanks!", " Really disappointed.", " Anyone else seeing this?", " Great job team.",
    " This is the third time this month.", " Switching to a competitor.", " Support answered quickly.",
    " Not impressed at all.", " Love it.",
]  # fmt: skip


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--mentions", type=int, default=None, help="mentions per round (default 20000, quick 6000)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds of the three, alternated (default 3, quick 2)")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=20, help="entries per feed")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_mentions")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.mentions = args.mentions or (6000 if args.quick else 20000)
    args.rounds = args.rounds or (2 if args.quick else 3)
    return args


def texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{rng.choice(SUBJECTS)} {rng.choice(OPINIONS)}.{rng.choice(TAILS)}{rng.choice(TAILS)} ({seed}-{n})"
        for n in range(count)
    ]


# --- The feed server (its own process) ---------------------------------------------------------


def feed_body(number: int, entries: int, published: datetime) -> bytes:
    items = []
    for n, text in enumerate(texts(entries, seed=100_000 + number)):
        at = format_datetime(published - timedelta(minutes=n), usegmt=True)
        items.append(
            f"<item><title>{escape(text[:60])}</title><link>https://forum.example.com/f{number}/t{n}</link>"
            f"<guid>f{number}-t{n}</guid><pubDate>{at}</pubDate><author>user{n}@example.com</author>"
            f"<description>{escape(text)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Forum {number}</title><link>https://forum.example.com/f{number}</link>"
        f"<description>Posts</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve_feeds(port: int, count: int, entries: int, ready) -> None:
    published = datetime.now(UTC)
    last_modified = format_datetime(published, usegmt=True)
    bodies = {f"/feeds/{n}.rss": feed_body(n, entries, published) for n in range(count)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = f'"{hash(self.path) & 0xFFFFFF:x}"'
            fresh = self.headers.get("If-None-Match") == etag
            self.send_response(304 if fresh else 200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            if fresh:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    ready.set()
    server.serve_forever()


# --- Vigil -------------------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        VIGIL_VAR_DIR=tempfile.mkdtemp(prefix="vigil-bench-mentions-"),
        DJANGO_SETTINGS_MODULE="vigil.settings",
        LOG_LEVEL="WARNING",
        # The feeds are served by this bench on loopback (vigil.http refuses it by default).
        VIGIL_OUTBOUND_ALLOWED_NETWORKS="127.0.0.0/8,::1/128",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.VIGIL_REPUTATION_KEYWORDS = "Acme"
    call_command("migrate", verbosity=0)


def open_incident() -> None:
    from incidents.models import Component, ComponentStatus
    from incidents.services import do_declare
    from vigil.audit import SYSTEM

    checkout = Component.objects.create(name="Checkout")
    do_declare(SYSTEM, title="Checkout failing", severity="sev1", components={checkout: ComponentStatus.MAJOR_OUTAGE})


def run_vigil(source, items) -> float:
    from reputation.services import ingest

    started = time.perf_counter()
    created = 0
    for start in range(0, len(items), BATCH):
        created += ingest(source, items[start : start + BATCH]).created
    seconds = time.perf_counter() - started
    assert created == len(items), (created, len(items))
    return len(items) / seconds


def run_one_insert(source, items) -> float:
    from django.utils import timezone

    from reputation import scoring
    from reputation.models import Mention

    started = time.perf_counter()
    for item in items:
        compound = scoring.score(item.text)
        Mention.objects.create(
            source=source,
            url=item.url,
            text=item.text,
            published_at=item.published_at,
            received_at=timezone.now(),
            sentiment=compound,
            label=scoring.label_for(compound),
        )
    return len(items) / (time.perf_counter() - started)


def run_scoring(items) -> float:
    from reputation import scoring

    started = time.perf_counter()
    for item in items:
        scoring.label_for(scoring.score(item.text))
    return len(items) / (time.perf_counter() - started)


def mention_rounds(args) -> dict:
    from django.utils import timezone

    from reputation import scoring, services
    from reputation.models import Mention
    from vigil.audit import Actor

    source = services.do_create_source(Actor(via="cli"), name="Bench webhook", kind="webhook")
    scoring.analyzer()  # the lexicon loads once per process, before any clock runs
    now = timezone.now()
    baseline_n = max(500, args.mentions // 4)  # one INSERT per mention is slow: a quarter as many
    figures = {"vigil": [], "baseline_one_insert": [], "scoring_alone": []}
    for round_ in range(args.rounds):

        def batch(kind: str, count: int, round_=round_):
            return [
                services.MentionIn(text, published_at=now, url=f"https://x.example/{kind}/{round_}/{n}")
                for n, text in enumerate(texts(count, seed=round_))
            ]

        figures["scoring_alone"].append(run_scoring(batch("score", args.mentions)))
        figures["vigil"].append(run_vigil(source, batch("vigil", args.mentions)))
        figures["baseline_one_insert"].append(run_one_insert(source, batch("one", baseline_n)))
        print(
            f"round {round_ + 1}: vigil {figures['vigil'][-1]:,.0f}/s, one INSERT each "
            f"{figures['baseline_one_insert'][-1]:,.0f}/s, scoring alone {figures['scoring_alone'][-1]:,.0f}/s",
            flush=True,
        )
    linked = Mention.objects.filter(incident__isnull=False).count()
    return {name: statistics.median(values) for name, values in figures.items()} | {"linked": linked}


def parse_alone(args) -> float:
    """Seconds to parse the documents the server serves (made by the same function), with the arguments
    reputation.feeds.parse gives feedparser, one after another: the floor of an importing poll."""
    import feedparser

    published = datetime.now(UTC)
    bodies = [feed_body(n, args.entries, published) for n in range(args.feeds)]
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        parsed = feedparser.parse(body, response_headers={**headers, "content-location": f"/feeds/{n}.rss"})
        assert len(parsed.entries) == args.entries, len(parsed.entries)
    return time.perf_counter() - started


def feed_polls(args, port: int) -> dict:
    from django.utils import timezone

    from reputation import feeds
    from reputation.models import Mention, MentionSource

    now = timezone.now()
    MentionSource.objects.bulk_create(
        MentionSource(name=f"Forum {n}", kind="feed", url=f"http://127.0.0.1:{port}/feeds/{n}.rss", next_poll_at=now)
        for n in range(args.feeds)
    )
    before = Mention.objects.count()
    first = feeds.poll_due(now, limit=args.feeds)
    assert first.imported == args.feeds, (first.imported, first.failed)
    imported = Mention.objects.count() - before
    assert imported == args.feeds * args.entries, imported
    MentionSource.objects.update(next_poll_at=now)
    second = feeds.poll_due(now, limit=args.feeds)
    assert second.not_modified == args.feeds, (second.not_modified, second.failed)
    parsed_s = parse_alone(args)
    print(
        f"{args.feeds} feeds: first poll {first.seconds:.1f} s ({imported} mentions imported), "
        f"unchanged {second.seconds:.1f} s, {feeds.concurrency()} threads; parsed alone {parsed_s:.1f} s",
        flush=True,
    )
    return {
        "feeds": args.feeds,
        "entries_per_feed": args.entries,
        "feeds_500_s": round(first.seconds * 500 / args.feeds, 2),
        "feeds_500_not_modified_s": round(second.seconds * 500 / args.feeds, 2),
        "feeds_measured_s": round(first.seconds, 2),
        "parse_alone_500_s": round(parsed_s * 500 / args.feeds, 2),
        "feeds_vs_parse_alone": round(first.seconds / parsed_s, 2),
        "goal_feeds_vs_parse_alone": GOAL_FEEDS_VS_PARSE,
        "feed_mentions_imported": imported,
        "poll_threads": feeds.concurrency(),
    }


def main():
    args = parse_args()
    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_feeds, args=(port, args.feeds, args.entries, ready), daemon=True)
    server.start()
    ready.wait(30)
    database_url = recreate_database(args.postgres, args.database)
    started = time.perf_counter()
    try:
        setup_django(database_url)
        open_incident()
        rates = mention_rounds(args)
        polls = feed_polls(args, port)
        from django.db import connection

        connection.close()
    finally:
        server.terminate()
        if not args.keep_db:
            drop_database(args.postgres, args.database)
    report = {
        "bench": "mentions",
        "quick": args.quick,
        "mentions_per_round": args.mentions,
        "rounds": args.rounds,
        "mentions_per_s": round(rates["vigil"]),
        "baseline_one_insert_per_s": round(rates["baseline_one_insert"]),
        "scoring_alone_per_s": round(rates["scoring_alone"]),
        "ratio_vs_one_insert": round(rates["vigil"] / rates["baseline_one_insert"], 1),
        "share_of_scoring_alone": round(rates["vigil"] / rates["scoring_alone"], 2),
        "goal_share_of_scoring_alone": GOAL_SHARE_OF_SCORING,
        "goal_mentions_per_s": GOAL_MENTIONS_PER_S,
        "mentions_linked_to_incident": rates["linked"],
        **polls,
        "goal_feeds_s": GOAL_FEEDS_S,
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
