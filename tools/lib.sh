# Shared set-up for the project's commands (sourced by run.sh, test.sh, stop.sh).
# Everything the project needs is installed from the package registries (PyPI, Debian, npm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
ODOO_BIN="$ROOT/tools/odoo-bin"
PG_PORT="${IMPACT_PG_PORT:-54329}"
PG_USER_NAME="odoo"
mkdir -p "$LOCAL/log"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root_apt() {
    # apt-get install, as root or through sudo
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ ! -f "$LOCAL/.apt-updated" ]; then
        $sudo apt-get update -qq && touch "$LOCAL/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

find_python37() {
    local root candidate
    root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
    for candidate in "$root/versions/3.7.16/bin/python3.7" "$(command -v python3.7 || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 7)' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

module_hash() {
    # fingerprint of the add-on's source: 'make run' upgrades the database when it changes
    (cd "$ROOT" && find impact_crm -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | sort -z \
        | xargs -0 sha1sum | sha1sum | cut -c1-12)
}

reqs_hash() { cat "$ROOT"/requirements*.txt "$ROOT/tools/prune_addons.py" | sha1sum | cut -c1-12; }

bootstrap() {
    # 1. Python 3.7 virtualenv with Odoo 11 and its pinned dependencies
    local stamp="$VENV/.impact-crm-$(reqs_hash)"
    if [ ! -f "$stamp" ]; then
        step "Installing Odoo 11.0 and its dependencies into .venv (first run: about a minute)"
        local py37
        py37="$(find_python37)" || die "CPython 3.7 is required (pyenv's 3.7.16 or python3.7 on PATH)"
        [ -x "$PY" ] || "$py37" -m venv "$VENV"
        "$PY" -m pip install -q --disable-pip-version-check --no-deps \
            -r "$ROOT/requirements-odoo.txt" -r "$ROOT/requirements.txt" -r "$ROOT/requirements-test.txt" \
            -r "$ROOT/requirements-compat.txt" 2>&1 \
            | grep -v "is ignored: it is neither" || true
        "$PY" -c 'import odoo, psycopg2, xlsxwriter' || die "Odoo did not install into .venv"
        "$PY" "$ROOT/tools/prune_addons.py" "$("$PY" -c 'import site; print(site.getsitepackages()[0])')"
        rm -f "$VENV"/.impact-crm-*
        touch "$stamp"
    fi
    # 2. lessc for Odoo's web assets (without it pages are unstyled)
    if ! command -v lessc >/dev/null 2>&1 && [ ! -x "$LOCAL/node/node_modules/.bin/lessc" ]; then
        step "Installing lessc (npm less@3.13.1)"
        if command -v npm >/dev/null 2>&1; then
            npm install --silent --no-audit --no-fund --prefix "$LOCAL/node" less@3.13.1 >/dev/null
        else
            as_root_apt node-less
        fi
    fi
    export PATH="$LOCAL/node/node_modules/.bin:$PATH"
    # 3. PostgreSQL server binaries (Debian), unless the user brings a server
    if ! external_pg && ! pg_bindir >/dev/null; then
        step "Installing PostgreSQL (Debian package)"
        as_root_apt postgresql
    fi
}

external_pg() { [ -n "${PGHOST:-}" ] || [ -n "${PGPORT:-}" ] || [ -n "${PGUSER:-}" ]; }

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

pg_datadir() {
    # The cluster lives in .local/ of the repo; PostgreSQL refuses to run as root, so as
    # root it runs as the 'postgres' system user, which must be able to reach the folder.
    if [ "$(id -u)" -ne 0 ]; then echo "$LOCAL/pg"; return; fi
    if runuser -u postgres -- test -x "$LOCAL" 2>/dev/null; then
        echo "$LOCAL/pg"
    else
        echo "/tmp/impact_crm-pg-$(echo "$ROOT" | sha1sum | cut -c1-8)"
    fi
}

pg_run() {
    # run a PostgreSQL binary as the cluster owner
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    if external_pg; then
        echo "Using the PostgreSQL server given by PG* environment variables"
        return 0
    fi
    local bindir data
    bindir="$(pg_bindir)"
    data="$(pg_datadir)"
    export PGHOST_EMBEDDED="$data/run"
    if [ ! -f "$data/data/PG_VERSION" ]; then
        step "Creating the embedded PostgreSQL cluster in $data"
        mkdir -p "$data/data" "$data/run"
        [ "$(id -u)" -ne 0 ] || chown -R postgres: "$data"
        pg_run "$bindir/initdb" -D "$data/data" -U "$PG_USER_NAME" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        [ -L "$LOCAL/pg" ] || [ "$data" = "$LOCAL/pg" ] || ln -sfn "$data" "$LOCAL/pg"
    fi
    if ! pg_run "$bindir/pg_ctl" -D "$data/data" status >/dev/null 2>&1; then
        step "Starting the embedded PostgreSQL on 127.0.0.1:$PG_PORT"
        pg_run "$bindir/pg_ctl" -D "$data/data" -w -t 60 -l "$data/postgresql.log" \
            -o "-p $PG_PORT -k $data/run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null || { tail -20 "$data/postgresql.log"; die "PostgreSQL did not start"; }
    fi
}

pg_stop() {
    external_pg && return 0
    local bindir data
    bindir="$(pg_bindir)" || return 0
    data="$(pg_datadir)"
    if [ -f "$data/data/PG_VERSION" ] && pg_run "$bindir/pg_ctl" -D "$data/data" status >/dev/null 2>&1; then
        pg_run "$bindir/pg_ctl" -D "$data/data" -m fast -w stop >/dev/null && echo "Embedded PostgreSQL stopped."
    else
        echo "Embedded PostgreSQL is not running."
    fi
}

# Options every Odoo command gets: the add-ons path and the database connection
odoo_db_args() {
    if external_pg; then
        # libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD itself; Odoo still needs the user's name: the web login
        # picks its database among the databases its db_user owns (the system user's, unless given), and finds
        # none otherwise (it shows Odoo's database manager instead of the login form)
        [ -z "${PGUSER:-}" ] || printf '%s\n' "--db_user=$PGUSER"
        return 0
    fi
    printf '%s\n' "--db_host=127.0.0.1" "--db_port=$PG_PORT" "--db_user=$PG_USER_NAME"
}

odoo() {
    local args
    mapfile -t args < <(odoo_db_args)
    TZ=UTC "$PY" "$ODOO_BIN" "$@" --addons-path="$ROOT" --data-dir="$LOCAL/data" "${args[@]}"
}

psql_cmd() {
    if external_pg; then psql -X -q "$@"; else psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER_NAME" "$@"; fi
}

pg_dsn() {
    # a libpq connection string for database $1 (PG* variables fill in the rest)
    if external_pg; then echo "dbname=$1"; else echo "host=127.0.0.1 port=$PG_PORT user=$PG_USER_NAME dbname=$1"; fi
}

db_exists() { [ "$(psql_cmd -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = "1" ]; }

module_installed() {
    db_exists "$1" && [ "$(psql_cmd -d "$1" -tAc "SELECT state FROM ir_module_module WHERE name = 'impact_crm'" 2>/dev/null)" = "installed" ]
}

drop_db() {
    if db_exists "$1"; then
        psql_cmd -d postgres -c "DROP DATABASE \"$1\"" >/dev/null
    fi
    rm -rf "$LOCAL/data/filestore/$1"
}

copy_db() {
    # copy database $1 to $2 with its filestore (Odoo keeps compiled assets there)
    drop_db "$2"
    psql_cmd -d postgres -c "CREATE DATABASE \"$2\" TEMPLATE \"$1\"" >/dev/null
    if [ -d "$LOCAL/data/filestore/$1" ]; then
        mkdir -p "$LOCAL/data/filestore"
        cp -a "$LOCAL/data/filestore/$1" "$LOCAL/data/filestore/$2"
    fi
}

check_log() {
    # fail on ERROR/CRITICAL lines of an Odoo log
    if grep -E "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$1" >/dev/null; then
        grep -E -A15 "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$1" | head -80
        die "the Odoo log $1 has ERROR lines"
    fi
}

bootstrap_e2e() {
    # A second venv, on the machine's Python 3, for the out-of-process tests, and
    # Debian's chromium for the browser tests (never a browser download).
    local e2e="$ROOT/.venv-e2e"
    local stamp="$e2e/.impact-crm-$(sha1sum "$ROOT/requirements-e2e.txt" | cut -c1-12)"
    if [ ! -f "$stamp" ]; then
        step "Installing the out-of-process test tools into .venv-e2e (playwright-python, pytest)"
        local py3
        py3="$(command -v python3)" || die "python3 is required for the out-of-process tests"
        [ -x "$e2e/bin/python" ] || "$py3" -m venv "$e2e"
        "$e2e/bin/pip" install -q --disable-pip-version-check --no-deps -r "$ROOT/requirements-e2e.txt" 2>&1 \
            | grep -v "is ignored: it is neither" || true
        rm -f "$e2e"/.impact-crm-*
        touch "$stamp"
    fi
    if ! command -v chromium >/dev/null 2>&1; then
        step "Installing Debian's chromium for the browser tests"
        as_root_apt chromium fonts-dejavu-core || echo "chromium could not be installed: browser tests will be skipped"
    fi
}
