"""Vigil's own backups hold its secrets: written for the owner only, without sessions; a restore checks the
file is a Vigil backup before replacing anything, accepts Django's --noinput, and lists what to rotate.

Runs on the suite's database: PostgreSQL for real (pg_dump, pg_restore) when DATABASE_URL names one.
"""

import io
import os
import sqlite3
import subprocess

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from dr_plans import selfbackup
from incidents.models import Incident, Integration
from incidents.services import do_declare
from tests.dr_plans.test_selfbackup import postgres_tools  # noqa: F401 (a fixture)
from vigil.audit import Actor


@pytest.fixture
def umask_022():
    """The usual umask, under which a plain open() makes files anyone on the machine can read."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_backup_is_readable_by_its_owner_only_even_when_it_replaces_a_readable_file(
    transactional_db,
    tmp_path,
    postgres_tools,  # noqa: F811 (the fixture imported above)
    umask_022,
):
    dump = tmp_path / "vigil.backup"
    dump.write_bytes(b"an older, world-readable backup")
    dump.chmod(0o644)
    call_command("backup", str(dump), stdout=io.StringIO())
    assert dump.stat().st_mode & 0o777 == 0o600
    assert dump.stat().st_size > 100
    assert [p.name for p in tmp_path.iterdir()] == ["vigil.backup"], "no temporary file is left"


def test_sessions_are_left_out_of_a_backup(
    transactional_db,
    admin_user,
    tmp_path,
    postgres_tools,  # noqa: F811 (the fixture imported above)
):
    Client().force_login(admin_user)
    assert Session.objects.exists()
    dump = tmp_path / "vigil.backup"
    call_command("backup", str(dump), stdout=io.StringIO())
    call_command("restore", str(dump), "--noinput", stdout=io.StringIO())
    assert not Session.objects.exists(), "a restored backup logged someone in"
    assert type(admin_user).objects.filter(pk=admin_user.pk).exists()


def _foreign_backup(tmp_path):
    """A backup of another application's database, of the kind this suite's database restores."""
    path = tmp_path / "other-app.backup"
    if connection.vendor == "sqlite":
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        other.commit()
        other.close()
        return path, None
    name = f"{connection.settings_dict['NAME']}_foreign"
    with connection.cursor() as cursor:  # a database of its own, on the same server, dropped afterwards
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    env = selfbackup._pg_env(connection.settings_dict)
    table = ["psql", "-d", name, "-c", "CREATE TABLE customers (id int PRIMARY KEY, name text)"]
    subprocess.run(table, env=env, check=True, capture_output=True)
    subprocess.run(["pg_dump", "-Fc", "--file", str(path), name], env=env, check=True, capture_output=True)
    return path, name


def test_restore_refuses_a_file_that_is_not_a_vigil_backup_and_changes_nothing(
    transactional_db,
    admin_user,
    tmp_path,
    postgres_tools,  # noqa: F811 (the fixture imported above)
):
    do_declare(Actor(user=admin_user), title="Still here")
    path, database = _foreign_backup(tmp_path)
    try:
        with pytest.raises(CommandError, match="is not a Vigil backup: it has no"):
            call_command("restore", str(path), "--noinput", stdout=io.StringIO())
    finally:
        if database:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}"')
    assert Incident.objects.filter(title="Still here").exists()
    assert "customers" not in connection.introspection.table_names()
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a backup at all")
    with pytest.raises(CommandError, match="is not a Vigil backup"):
        call_command("restore", str(garbage), "--noinput")


def test_after_a_restore_the_secrets_that_came_back_are_listed(
    transactional_db,
    admin_user,
    tmp_path,
    postgres_tools,  # noqa: F811 (the fixture imported above)
):
    Integration.objects.create(name="Prometheus", kind=Integration.Kind.ALERTMANAGER)
    dump = tmp_path / "vigil.backup"
    call_command("backup", str(dump), stdout=io.StringIO())
    out = io.StringIO()
    call_command("restore", str(dump), "--noinput", stdout=out)
    said = out.getvalue()
    assert "back as they were when the backup was taken" in said
    assert "1 alert integration URLs (their tokens): Integrations → Rotate token" in said
    assert "user passwords" in said
    assert "--yes" in [a for action in _restore_options() for a in action]  # old scripts keep working


def _restore_options():
    from dr_plans.management.commands.restore import Command

    return [action.option_strings for action in Command().create_parser("manage.py", "restore")._actions]
