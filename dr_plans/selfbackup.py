"""Vigil's own backup and restore: pg_dump/pg_restore on PostgreSQL, SQLite's online backup API on SQLite.

SQLite's backup API copies pages under the database's own locking, so the copy is
consistent even while the web and worker processes write (a file copy would not be).
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db import connections


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


def _run(command: list[str], settings: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    # The arguments are the configured database name and a path given by the operator.
    result = subprocess.run(command, env=_pg_env(settings), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def backup(path: Path, alias: str = "default") -> None:
    connection = connections[alias]
    if _vendor(alias) == "postgresql":
        name = connection.settings_dict["NAME"]
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(path), name], connection.settings_dict)
        return
    if _vendor(alias) != "sqlite":
        raise BackupError(f"No backup method for {_vendor(alias)}.")
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def restore(path: Path, alias: str = "default") -> None:
    """Replace the database's contents with the backup at PATH."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    connection = connections[alias]
    if _vendor(alias) == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()
        command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", name]
        _run([*command, str(path)], connection.settings_dict)
    elif _vendor(alias) == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        raise BackupError(f"No restore method for {_vendor(alias)}.")
    # Content-type ids cached by this process describe the database before the restore.
    ContentType.objects.clear_cache()
