"""The status page's snapshot: every public document, rendered ahead, read by requests without the database.

A Snapshot maps a path (as a static host would serve it: "index.html", "incidents/12/index.html",
"api/v2/summary.json", "feed.atom", "assets/...") to its bytes, a gzip copy, its content type and
an ETag, with the time the data was read. rebuild() reads the database once (comms.status.public),
renders everything and stores it:

- in a file, VIGIL_STATUS_DIR (default VAR_DIR/status)/snapshot.bin, written to a temporary
  file and renamed over the old one, so a reader sees the old snapshot or the new, never half;
- with REDIS_URL, also in Redis, so web processes on other machines pick it up (they poll a small
  version key every VIGIL_STATUS_POLL_SECONDS and copy a newer snapshot into their own file).

current() is what requests call: it returns the snapshot held in this process, after a stat() of
the file (and, at most every poll interval, a read of the version key); no database, and a Redis
that is down or slow (short timeouts, then a pause) only means the file is used.

The file format is a small header (JSON) and the bodies one after the other: no pickle, so a
snapshot copied from Redis is data, never code.
"""

import fcntl
import gzip
import hashlib
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.http import http_date

logger = logging.getLogger(__name__)

MAGIC = b"VIGIL-STATUS-SNAPSHOT-1\n"
FILE_NAME = "snapshot.bin"
REDIS_DATA_KEY = "vigil:status:snapshot"
REDIS_VERSION_KEY = "vigil:status:version"
# Smaller bodies are not worth compressing: the headers would outweigh the saving.
GZIP_MIN_BYTES = 512


@dataclass(frozen=True, slots=True)
class Document:
    content_type: str
    body: bytes
    gzipped: bytes | None
    etag: str


@dataclass
class Snapshot:
    taken_at: datetime
    version: str
    documents: dict[str, Document] = field(default_factory=dict)

    @cached_property
    def last_modified(self) -> str:
        return http_date(self.taken_at.timestamp())

    def add(self, path: str, content_type: str, body: bytes) -> None:
        gzipped = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
        if gzipped is not None and len(gzipped) >= len(body):
            gzipped = None
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        self.documents[path] = Document(content_type, body, gzipped, etag)

    # --- Bytes ------------------------------------------------------------------------------------

    def pack(self) -> bytes:
        index, chunks, offset = {}, [], 0
        for path, doc in self.documents.items():
            entry = [doc.content_type, doc.etag, offset, len(doc.body)]
            chunks.append(doc.body)
            offset += len(doc.body)
            if doc.gzipped is not None:
                entry += [offset, len(doc.gzipped)]
                chunks.append(doc.gzipped)
                offset += len(doc.gzipped)
            index[path] = entry
        header = json.dumps({"taken_at": self.taken_at.isoformat(), "version": self.version, "documents": index})
        header_bytes = header.encode()
        return b"".join([MAGIC, len(header_bytes).to_bytes(8, "big"), header_bytes, *chunks])

    @classmethod
    def unpack(cls, raw: bytes) -> "Snapshot":
        if not raw.startswith(MAGIC):
            raise ValueError("not a status page snapshot")
        start = len(MAGIC)
        size = int.from_bytes(raw[start : start + 8], "big")
        header = json.loads(raw[start + 8 : start + 8 + size])
        blob = memoryview(raw)[start + 8 + size :]
        snapshot = cls(taken_at=datetime.fromisoformat(header["taken_at"]), version=header["version"])
        for path, entry in header["documents"].items():
            content_type, etag, offset, length = entry[:4]
            gzipped = bytes(blob[entry[4] : entry[4] + entry[5]]) if len(entry) > 4 else None
            snapshot.documents[path] = Document(content_type, bytes(blob[offset : offset + length]), gzipped, etag)
        return snapshot


def new_version(taken_at: datetime) -> str:
    """Sorts as the snapshots' times do: a newer snapshot never loses to an older one."""
    return f"{int(taken_at.timestamp() * 1_000_000):020d}-{secrets.token_hex(4)}"


# --- Where snapshots are kept --------------------------------------------------------------------


def snapshot_dir() -> Path:
    return _paths(settings.VIGIL_STATUS_DIR, settings.VAR_DIR)[0]


def snapshot_path() -> Path:
    return _paths(settings.VIGIL_STATUS_DIR, settings.VAR_DIR)[1]


@lru_cache(maxsize=16)
def _paths(configured: str, var_dir) -> tuple[Path, Path]:
    # Cached: requests ask for the path every time, and making Path objects is most of its cost.
    directory = Path(configured) if configured else Path(var_dir) / "status"
    return directory, directory / FILE_NAME


def _redis():
    url = settings.REDIS_URL
    return _redis_client(url) if url else None


@lru_cache(maxsize=4)
def _redis_client(url: str):
    import redis

    # Short timeouts: a request that polls a Redis gone astray waits a moment, then serves the file.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def write_file(raw: bytes, taken_version: str) -> bool:
    """Write RAW atomically, unless the file already holds a newer snapshot. True if written."""
    directory = snapshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        # Two rebuilds finishing together: the check and the rename happen under one lock.
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = _file_version(directory / FILE_NAME)
        if existing is not None and existing > taken_version:
            return False
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".snapshot-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(raw)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, directory / FILE_NAME)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return True


def _file_version(path: Path) -> str | None:
    try:
        with path.open("rb") as stream:
            head = stream.read(len(MAGIC) + 8)
            if not head.startswith(MAGIC):
                return None
            size = int.from_bytes(head[len(MAGIC) :], "big")
            return json.loads(stream.read(size))["version"]
    except (OSError, ValueError, KeyError):
        return None


def publish(snapshot: Snapshot) -> None:
    """Store SNAPSHOT in the file, in Redis (when configured) and in this process."""
    raw = snapshot.pack()
    written = write_file(raw, snapshot.version)
    client = _redis()
    if client is not None:
        try:
            current_version = client.get(REDIS_VERSION_KEY)
            if current_version is None or current_version.decode() <= snapshot.version:
                # The data before the version: a reader that sees the new version finds its data.
                client.set(REDIS_DATA_KEY, raw)
                client.set(REDIS_VERSION_KEY, snapshot.version)
        except Exception:
            logger.exception("Could not store the status page snapshot in Redis; the file has it")
    # The file's signature only when it holds this snapshot: else current() must read the newer one there.
    _held.adopt(snapshot, _signature(snapshot_path()) if written else None)


# --- Reading, in requests ---------------------------------------------------------------------------


def _signature(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class _Held:
    """The snapshot this process serves, and what it knows of the file and of Redis."""

    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.signature = None
        self.next_poll = 0.0
        self.lock = threading.Lock()

    def adopt(self, snapshot: Snapshot, signature=None) -> None:
        with self.lock:
            if self.snapshot is None or snapshot.version >= self.snapshot.version:
                self.snapshot = snapshot
            if signature is not None:
                self.signature = signature

    def reset(self) -> None:
        self.snapshot, self.signature, self.next_poll = None, None, 0.0


_held = _Held()


def current() -> Snapshot | None:
    """The newest snapshot this process can see: its own, the file's, or Redis'. No database."""
    path = snapshot_path()
    signature = _signature(path)
    if signature is not None and signature != _held.signature:
        try:
            _held.adopt(Snapshot.unpack(path.read_bytes()), signature)
        except (OSError, ValueError) as exc:
            logger.warning("Could not read the status page snapshot %s: %s", path, exc)
            _held.signature = signature  # do not retry a bad file on every request
    if settings.REDIS_URL and time.monotonic() >= _held.next_poll:
        _poll_redis()
    return _held.snapshot


def _poll_redis() -> None:
    poll = settings.VIGIL_STATUS_POLL_SECONDS
    _held.next_poll = time.monotonic() + poll
    held = _held.snapshot
    try:
        client = _redis()
        version = client.get(REDIS_VERSION_KEY)
        if version is None or (held is not None and version.decode() <= held.version):
            return
        raw = client.get(REDIS_DATA_KEY)
    except Exception as exc:
        # Down or unreachable: serve the file, and leave Redis alone for a while.
        logger.warning("Status page snapshot: Redis unavailable (%s); serving the file", exc)
        _held.next_poll = time.monotonic() + max(poll, 30.0)
        return
    if raw is None:
        return
    try:
        snapshot = Snapshot.unpack(raw)
    except ValueError as exc:
        logger.warning("Status page snapshot in Redis is unreadable: %s", exc)
        return
    # Keep a copy in this machine's file: the page survives Redis going away too.
    written = False
    try:
        written = write_file(raw, snapshot.version)
    except OSError as exc:
        logger.warning("Could not copy the status page snapshot to %s: %s", snapshot_path(), exc)
    _held.adopt(snapshot, _signature(snapshot_path()) if written else None)


def age_seconds(snapshot: Snapshot) -> float:
    return (datetime.now(UTC) - snapshot.taken_at).total_seconds()


# --- Building --------------------------------------------------------------------------------------


def build(now: datetime | None = None, url: str | None = None, previous: Snapshot | None = None) -> Snapshot:
    """Read what is public once and render every document from it, for a page served at URL.

    Each document is rendered on its own (the renderers hand over a callable per path): one that
    fails, say on a value its format cannot hold, is logged and keeps its version from PREVIOUS (the
    snapshot being replaced), and every other document is still rendered anew. A renderer that
    fails before naming its documents keeps every previous document this build lacks. So the page
    never freezes on an old snapshot because of one bad feed item, during an outage of all times.
    """
    from . import feeds, pages, public, statuspage_json

    state = public.read(now, url)
    snapshot = Snapshot(taken_at=state.taken_at, version=new_version(state.taken_at))
    incomplete = False
    for renderer in (pages, statuspage_json, feeds):
        try:
            entries = renderer.documents(state)
        except Exception:
            logger.exception("Status page: %s failed; its documents keep their last versions", renderer.__name__)
            incomplete = True
            continue
        for path, (content_type, body) in entries.items():
            try:
                snapshot.add(path, content_type, body() if callable(body) else body)
            except Exception:
                logger.exception("Status page: %s could not be rendered; its last version is kept", path)
                if previous is not None and path in previous.documents:
                    snapshot.documents[path] = previous.documents[path]
    if incomplete and previous is not None:
        for path, doc in previous.documents.items():
            snapshot.documents.setdefault(path, doc)
    return snapshot


def rebuild(now: datetime | None = None) -> Snapshot:
    """Build a snapshot and publish it to every web process. The one entry point for a refresh."""
    snapshot = build(now, previous=current())
    publish(snapshot)
    logger.debug("Status page snapshot %s: %d documents", snapshot.version, len(snapshot.documents))
    return snapshot
