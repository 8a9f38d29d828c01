#!/usr/bin/env bash
# make test: the same bootstrap as make run, then lint, a fresh test database, every test,
# and one summary line. Exits non-zero on any failure, on an ERROR in the install log,
# and when no test ran.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/base_template.sh"
DB="${IMPACT_TEST_DB:-impact_crm_test}"
E2E_DB="${DB}_e2e"
E2E_PORT="${IMPACT_E2E_PORT:-18069}"
rm -f "$LOCAL"/junit-*.xml

bootstrap
bootstrap_e2e

step "Lint: flake8, and Python 3.5 compatibility of the add-on (vermin)"
"$VENV/bin/flake8" "$ROOT/impact_crm" "$ROOT/tests" "$ROOT/bench" "$ROOT/tools/odoo-bin" "$ROOT/tools"/*.py
"$VENV/bin/vermin" -q --no-tips --violations --target=3.5- --exclude-regex 'tests/' "$ROOT/impact_crm" \
    || die "impact_crm/ must stay compatible with Python 3.5 (see vermin's report above)"
echo "lint ok"

pg_start
ensure_base_template
step "Installing impact_crm into a fresh test database '$DB'"
copy_db "$BASE_TEMPLATE" "$DB"
log="$LOCAL/log/install-$DB.log"; : > "$log"
odoo -d "$DB" -i impact_crm --stop-after-init --log-level=info --logfile="$log" \
    || { tail -40 "$log"; die "installing impact_crm failed (log: $log)"; }
check_log "$log"
copy_db "$DB" "$E2E_DB"
module_hash > "$LOCAL/.module-$E2E_DB"   # freshly installed: run.sh must not upgrade it
# a test class whose set-up fails leaves its cursor open: make lock waits fail instead of hanging
psql_cmd -d postgres -c "ALTER DATABASE \"$DB\" SET lock_timeout = '120s'" >/dev/null

step "In-Odoo tests (pytest-odoo on the real database)"
conf="$LOCAL/odoo-test.conf"
{
    echo "[options]"
    echo "addons_path = $ROOT"
    echo "data_dir = $LOCAL/data"
    echo "db_name = $DB"
    odoo_db_args | sed -e 's/^--//' -e 's/=/ = /'
} > "$conf"
set +e
(cd "$ROOT" && env -u USER -u HOST -u PORT -u PASSWORD TZ=UTC \
    "$VENV/bin/pytest" -p no:cacheprovider -p no:warnings "$ROOT/impact_crm/tests" \
    --odoo-config="$conf" --odoo-log-level=warn --junitxml="$LOCAL/junit-odoo.xml" -q -rfEs ${PYTEST_ARGS:-})
odoo_rc=$?
set -e

step "Out-of-process tests (JSON-RPC, concurrency, browser) against a server started as 'make run' starts it"
server_log="$LOCAL/log/e2e-server.log"
IMPACT_DB="$E2E_DB" IMPACT_HTTP_PORT="$E2E_PORT" IMPACT_WORKERS="${IMPACT_E2E_WORKERS:-2}" \
    "$ROOT/tools/run.sh" --logfile="$server_log" --log-level=warn >/dev/null 2>&1 &
server_pid=$!
stop_server() { kill "$server_pid" 2>/dev/null || true; pkill -f "odoo-bin -d $E2E_DB " 2>/dev/null || true; }
trap stop_server EXIT
set +e
(cd "$ROOT" && IMPACT_URL="http://127.0.0.1:$E2E_PORT" IMPACT_DB="$E2E_DB" IMPACT_SERVER_LOG="$server_log" \
    IMPACT_PG_DSN="$(pg_dsn "$E2E_DB")" \
    "$ROOT/.venv-e2e/bin/pytest" -p no:cacheprovider "$ROOT/tests" --junitxml="$LOCAL/junit-e2e.xml" -q -rfEs ${PYTEST_E2E_ARGS:-})
e2e_rc=$?
set -e
stop_server

"$PY" "$ROOT/tools/summary.py" "$LOCAL/junit-odoo.xml" "$LOCAL/junit-e2e.xml" || exit 1
[ "$odoo_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ] || exit 1
