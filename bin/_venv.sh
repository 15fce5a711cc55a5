# Shared by bin/run and bin/test: find Python 3.11+, make .venv, install a requirements file.
# Sourced, not run.

die() { printf 'vigil: %s\n' "$*" >&2; exit 1; }

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  die "Vigil needs Python 3.11 or newer. On Debian or Ubuntu: sudo apt-get install -y python3"
}

ensure_venv() {
  local requirements="$1" python stamp
  if [ ! -x .venv/bin/python ]; then
    python=$(find_python)
    if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      local v; v=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      die "Python's venv module is missing. On Debian or Ubuntu: sudo apt-get install -y python3-venv (or python${v}-venv)"
    fi
    echo "vigil: creating .venv with $python"
    "$python" -m venv .venv || { rm -rf .venv; die "could not create .venv (is python3-venv installed?)"; }
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  # Reinstall only when the requirements changed.
  stamp=".venv/.installed-$(basename "$requirements")-$(cat requirements*.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "vigil: installing $requirements"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}

# The settings of a run on this one machine (bin/run, bin/manage), each overridable from the
# environment: DEBUG off (as in production), a secret key kept under var/, plain HTTP on
# 127.0.0.1, and probes allowed to watch this machine (the demo monitors watch Vigil itself).
local_settings() {
  export PORT="${PORT:-8000}"
  export VIGIL_BASE_URL="${VIGIL_BASE_URL:-http://127.0.0.1:$PORT}"
  export DEBUG="${DEBUG:-0}"
  local var="${VIGIL_VAR_DIR:-$PWD/var}"
  if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
    mkdir -p "$var"
    [ -s "$var/secret_key" ] || (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$var/secret_key")
    export SECRET_KEY_FILE="$var/secret_key"
  fi
  case "$VIGIL_BASE_URL" in
    http://*) export VIGIL_HTTPS="${VIGIL_HTTPS:-0}" ;;
  esac
  export VIGIL_PROBE_ALLOWED_NETWORKS="${VIGIL_PROBE_ALLOWED_NETWORKS:-127.0.0.0/8,::1/128}"
  # No log line per Celery task (several a second): the terminal shows requests, warnings and errors.
  export VIGIL_LOG_EACH_TASK="${VIGIL_LOG_EACH_TASK:-0}"
  # Two-factor sign-in is required of admins in production; a local trial starts without it.
  export VIGIL_REQUIRE_ADMIN_2FA="${VIGIL_REQUIRE_ADMIN_2FA:-0}"
}
