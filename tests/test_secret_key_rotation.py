"""Rotating SECRET_KEY: the old key in SECRET_KEY_FALLBACKS (or its _FILE) keeps what it signed valid."""

from django.core import signing

from tests.test_settings import manage

OLD, NEW = "old-" + "o" * 50, "new-" + "n" * 50
READ = (
    "import sys; from django.core import signing; from django.conf import settings; "
    "print(settings.SECRET_KEY_FALLBACKS); print(signing.loads(sys.argv[-1], salt='rotation-test'))"
)


def test_links_signed_with_the_old_key_still_open_while_it_is_a_fallback(tmp_path):
    token = signing.dumps("a manage link", key=OLD, salt="rotation-test")
    result = manage(
        "shell", "-v0", "-c", READ.replace("sys.argv[-1]", repr(token)),
        DEBUG="0", SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=f"{OLD}, older-{'x' * 50}", VIGIL_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str([OLD, "older-" + "x" * 50]), "a manage link"]


def test_the_fallbacks_can_come_from_a_file_and_dropping_the_old_key_revokes_what_it_signed(tmp_path):
    token = signing.dumps("a manage link", key=OLD, salt="rotation-test")
    secret = tmp_path / "fallbacks"
    secret.write_text(OLD + "\n")
    code = READ.replace("sys.argv[-1]", repr(token))
    from_file = manage(
        "shell", "-v0", "-c", code, DEBUG="0", SECRET_KEY=NEW, SECRET_KEY_FALLBACKS_FILE=str(secret),
        VIGIL_VAR_DIR=str(tmp_path),
    )  # fmt: skip
    assert from_file.stdout.splitlines() == [str([OLD]), "a manage link"], from_file.stderr
    dropped = manage("shell", "-v0", "-c", code, DEBUG="0", SECRET_KEY=NEW, VIGIL_VAR_DIR=str(tmp_path))
    assert dropped.returncode != 0 and "BadSignature" in dropped.stderr
