"""Vigil's own backup and restore: pg_dump/pg_restore on PostgreSQL, SQLite's online backup API on SQLite.

SQLite's backup API copies pages under the database's own locking, so the copy is
consistent even while the web and worker processes write (a file copy would not be).

A backup holds every secret Vigil keeps in its database (integration tokens, webhook keys, ping
URLs, password hashes), so:
- it is written readable by its owner only (mode 0600), into a temporary file renamed into place,
  so a reader never finds half a backup under the final name;
- sessions are left out: a stolen backup must not log anyone in, and a restored Vigil asks
  everyone to log in again;
- restore() first checks the file is a Vigil backup for this kind of database (pg_restore --clean
  drops whatever the file names: another application's dump must not be let loose on Vigil's
  database), and afterwards secrets_to_rotate() lists what came back as it was when the backup was
  taken: anything rotated or revoked since is valid again until it is rotated once more.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(Exception):
    pass


def _vendor(alias: str) -> str:
    return connections[alias].vendor


def _pg_env(settings: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[var] = str(settings[key])
    return env


def _run(command: list[str], settings: dict) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    # The arguments are the configured database name and a path given by the operator.
    result = subprocess.run(command, env=_pg_env(settings), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")
    return result.stdout


# --- Backup ---------------------------------------------------------------------------------------


def backup(path: Path, alias: str = "default") -> None:
    """Write a backup of the database to PATH (mode 0600, sessions left out), replacing any file there."""
    if _vendor(alias) not in ("postgresql", "sqlite"):
        raise BackupError(f"No backup method for {_vendor(alias)}.")
    path = Path(path)
    # mkstemp makes the file 0600 before a byte is written; pg_dump and SQLite write into it as it is.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    os.close(fd)
    try:
        if _vendor(alias) == "postgresql":
            _pg_dump(Path(tmp), alias)
        else:
            _sqlite_copy(Path(tmp), alias)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pg_dump(target: Path, alias: str) -> None:
    settings = connections[alias].settings_dict
    command = ["pg_dump", "--format=custom", "--no-owner", f"--exclude-table-data={Session._meta.db_table}"]
    _run([*command, "--file", str(target), settings["NAME"]], settings)


def _sqlite_copy(target: Path, alias: str) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # VACUUM rewrites the file, so the deleted sessions leave no trace in its free pages.
        copy.execute(f'DELETE FROM "{Session._meta.db_table}"')  # noqa: S608 (a model's table name)
        copy.commit()
        copy.execute("VACUUM")
    finally:
        copy.close()


# --- Restore --------------------------------------------------------------------------------------


def _marker_tables() -> set[str]:
    """Tables every Vigil database has: a backup without them is not one of Vigil's."""
    return {"django_migrations", apps.get_model("incidents", "Incident")._meta.db_table}


def check_backup(path: Path, alias: str = "default") -> None:
    """Raise BackupError unless PATH is a Vigil backup that this database's kind can restore."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    with path.open("rb") as stream:
        head = stream.read(len(SQLITE_MAGIC))
    vendor = _vendor(alias)
    kind = "postgresql" if head.startswith(PG_CUSTOM_MAGIC) else "sqlite" if head == SQLITE_MAGIC else None
    if kind is None:
        raise BackupError(f"{path} is not a Vigil backup (neither a pg_dump archive nor a SQLite database).")
    if kind != vendor:
        raise BackupError(f"{path} is a {kind} backup; this Vigil runs on {vendor}. Restore it on a {kind} Vigil.")
    tables = _pg_tables(path, alias) if kind == "postgresql" else _sqlite_tables(path)
    missing = _marker_tables() - tables
    if missing:
        raise BackupError(
            f"{path} is not a Vigil backup: it has no {', '.join(sorted(missing))} table. Nothing was changed."
        )


def _pg_tables(path: Path, alias: str) -> set[str]:
    listing = _run(["pg_restore", "--list", str(path)], connections[alias].settings_dict)
    # A table's line in the archive's list: "215; 1259 16390 TABLE public incidents_incident owner".
    return {
        words[words.index("TABLE") + 2]
        for words in (line.split() for line in listing.splitlines() if not line.startswith(";"))
        if "TABLE" in words and words.index("TABLE") + 2 < len(words) and words[words.index("TABLE") + 1] != "DATA"
    }


def _sqlite_tables(path: Path) -> set[str]:
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {name for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None


def restore(path: Path, alias: str = "default") -> None:
    """Replace the database's contents with the Vigil backup at PATH (checked first: see check_backup)."""
    path = Path(path)
    check_backup(path, alias)
    connection = connections[alias]
    if _vendor(alias) == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()
        command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", name]
        _run([*command, str(path)], connection.settings_dict)
    else:
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    # Content-type ids cached by this process describe the database before the restore.
    ContentType.objects.clear_cache()


# --- After a restore: what to rotate ----------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    what: str
    model: str  # app_label.ModelName
    how: str
    filters: tuple[tuple[str, object], ...] = ()


# Each kind of secret Vigil stores, and where it is made anew. Counted in the restored database.
SECRETS = [
    Secret("alert integration URLs (their tokens)", "incidents.Integration", "Integrations → Rotate token"),
    Secret("heartbeat ping URLs", "monitoring.Monitor", "each heartbeat monitor's page", (("kind", "heartbeat"),)),
    Secret("on-call calendar feed links", "incidents.Schedule", "the schedule in the admin or the API"),
    Secret("API keys", "vigil.ApiKey", "revoke and re-create under API keys", (("revoked_at__isnull", True),)),
    Secret(
        "outgoing webhook keys, Slack URLs and Mastodon tokens",
        "comms.Endpoint",
        "Comms → endpoints (admin): new key, URL or token",
    ),
    Secret(
        "status page webhook subscribers' signing keys",
        "comms.Subscriber",
        "ask those subscribers to subscribe again",
        (("kind", "webhook"),),
    ),
    Secret("reputation webhook secrets", "reputation.MentionSource", "Reputation → sources → Rotate secret"),
    Secret("user passwords", django_settings.AUTH_USER_MODEL, "anyone who changed theirs since the backup: again"),
]


def secrets_to_rotate() -> list[tuple[Secret, int]]:
    """(secret, how many the restored database holds) for each kind of secret it holds any of."""
    found = []
    for secret in SECRETS:
        try:
            model = apps.get_model(secret.model)
        except LookupError:
            continue
        count = model._base_manager.filter(**dict(secret.filters)).count()
        if count:
            found.append((secret, count))
    return found
