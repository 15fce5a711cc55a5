"""The admin import's two steps: plan, then apply what was planned without asking for the inputs again.

Between the steps the inputs stay on the server: uploaded files under VAR_DIR/imports/ (a private
directory, random names) and the options, the API key among them, in the session only. The page
carries nothing but a one-time id. One pending import per session: a new plan discards the previous
one and its files; applying takes it (the id cannot be used twice) and deletes the files afterwards.

Messages shown to the admin pass through `scrub`: the API key never appears, and a temporary file's
path reads as the name of the file that was uploaded.
"""

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from vigil.audit import Actor

from .base import Plan, Result, SourceError
from .plan_text import plan_lines, result_lines
from .sources import IMPORTERS

SESSION_KEY = "importers.pending"


@dataclass
class Outcome:
    lines: list[str]
    error: str = ""
    pending_id: str = ""


def upload_dir() -> Path:
    directory = Path(settings.VAR_DIR) / "imports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


# An upload whose session ended before Import is deleted by the next plan made after this long.
ABANDONED_AFTER_SECONDS = 24 * 3600


def delete_abandoned(directory: Path) -> None:
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    for path in directory.glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def save_upload(upload) -> str:
    """Write UPLOAD under upload_dir() with a random name, readable by this user only; its path.
    Uploads abandoned more than a day ago go first."""
    directory = upload_dir()
    delete_abandoned(directory)
    path = directory / f"{secrets.token_urlsafe(18)}.upload"
    with open(path, "xb") as out:
        path.chmod(0o600)
        for chunk in upload.chunks():
            out.write(chunk)
    return str(path)


def delete_files(pending: dict) -> None:
    for path, _name in pending.get("files", {}).values():
        Path(path).unlink(missing_ok=True)


def discard(session) -> None:
    pending = session.pop(SESSION_KEY, None)
    if pending:
        delete_files(pending)


def scrub(message: str, pending: dict) -> str:
    key = pending["options"].get("api_key")
    if key:
        message = message.replace(key, "[API key]")
    for path, name in pending.get("files", {}).values():
        message = message.replace(path, name)
    return message


def importer_for(pending: dict):
    options = dict(pending["options"])
    options.update({field: path for field, (path, _name) in pending.get("files", {}).items()})
    return IMPORTERS[pending["source"]](**options)


def do_plan(session, source: str, options: dict, uploads: dict) -> Outcome:
    """Read the source and return the plan as import_from --dry-run prints it; nothing is written
    but the pending inputs (kept only when the plan could be made)."""
    discard(session)
    files = {field: (save_upload(upload), upload.name) for field, upload in uploads.items()}
    pending = {"id": secrets.token_urlsafe(24), "source": source, "options": options, "files": files}
    try:
        plan: Plan = importer_for(pending).plan()
    except SourceError as exc:
        delete_files(pending)
        return Outcome(lines=[], error=scrub(str(exc), pending))
    session[SESSION_KEY] = pending
    return Outcome(lines=[scrub(line, pending) for line in plan_lines(plan, dry_run=True)], pending_id=pending["id"])


def do_apply(session, pending_id: str, actor: Actor) -> Outcome:
    """Re-plan (the source may have changed since) and apply, as import_from does; the pending
    inputs are used once and their files deleted whatever happens."""
    pending = session.get(SESSION_KEY)
    if not pending or not secrets.compare_digest(pending["id"], pending_id or ""):
        return Outcome(
            lines=[], error="This import is no longer pending (done already, or replaced): show the plan again."
        )
    del session[SESSION_KEY]
    try:
        importer = importer_for(pending)
        plan = importer.plan()
        result: Result = importer.apply(plan, actor)
    except SourceError as exc:
        return Outcome(lines=[], error=scrub(str(exc), pending))
    finally:
        delete_files(pending)
    return Outcome(lines=[scrub(line, pending) for line in result_lines(result)])
