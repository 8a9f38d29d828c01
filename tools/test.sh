#!/usr/bin/env bash
# make test: the same bootstrap as make run, then lint, a fresh test database, every test,
# and one summary line. Exits non-zero on any failure, on an ERROR in the install log,
# and when no test ran.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/base_template.sh"
DB="${IMPACT_TEST_DB:-impact_crm_test}"
E2E_DB="${DB}_e2e"
E2E_PORT="${IMPACT_E2E_PORT:-18069}"
# Odoo's own test suites run with impact_crm installed (sale_crm has none of its own)
ODOO_SUITES="crm,sale,sale_crm,sale_management,base_automation,account,mail"
# and base's tests of what the add-on overrides or adds rules to: access rights and record rules (the companies of
# `child_of` resolved once, ir_rule.py), sequences (their record rule), translations and languages, views, menus
# and filters (the others of base's tests are not about them, and three of those fail here without the add-on too)
BASE_TESTS="test_acl test_expression test_user_has_group test_ir_sequence test_ir_sequence_date_range test_translate
            test_res_lang test_views test_menu test_ir_filters"
# OCA add-ons (requirements-compat.txt) installed beside impact_crm: their tests and impact_crm's run together
OCA_MODULES="crm_lead_product,crm_phonecall,crm_stage_type,sale_commission,report_xlsx,mis_builder"
# Odoo apps a company runs beside it, installed after it on the same database: their tests and impact_crm's there
# too (Inventory's sale_stock: deliveries from confirmed orders, a revision's follow-ups; its stock demo data adds a
# subsidiary company)
COMPAT_APPS="sale_stock"
rm -f "$LOCAL"/junit-*.xml

bootstrap
bootstrap_e2e

step "Lint: flake8, OCA's pylint-odoo (.pylintrc), and Python 3.5 compatibility of the add-on (vermin)"
"$VENV/bin/flake8" "$ROOT/impact_crm" "$ROOT/tests" "$ROOT/bench" "$ROOT/tools/odoo-bin" "$ROOT/tools"/*.py
(cd "$ROOT" && "$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" impact_crm) || die "pylint-odoo found problems (above)"
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

step "Odoo's own tests ($ODOO_SUITES, and base's on access, rules, sequences, translations, views) on a copy of that database, with impact_crm installed"
# pytest-odoo runs them with the whole registry loaded, the add-on's overrides included (Odoo's at_install
# tests would otherwise run before the add-on loads). The few that fail on purpose are in tools/odoo_suites.py.
run_suites() {
    # run_suites DB JUNIT PATH... : pytest-odoo on database DB for the given test folders
    local db="$1" junit="$2" conf="$LOCAL/odoo-test-$1.conf"
    shift 2
    sed -e "s/^db_name = .*/db_name = $db/" "$LOCAL/odoo-test.conf" > "$conf"
    (cd "$ODOO_ADDONS" && env -u USER -u HOST -u PORT -u PASSWORD TZ=UTC PYTHONPATH="$ROOT/tools" \
        "$VENV/bin/pytest" -p no:cacheprovider -p no:warnings -p odoo_suites --rootdir="$ODOO_ADDONS" "$@" \
        --odoo-config="$conf" --odoo-log-level=warn --junitxml="$junit" -q -rfEs ${PYTEST_SUITES_ARGS:-})
}
ODOO_ADDONS="$("$PY" -c 'import os, odoo.addons.base as b; print(os.path.dirname(os.path.dirname(b.__file__)))')"
suites_db="${DB}_odoo"
copy_db "$DB" "$suites_db"
set +e
run_suites "$suites_db" "$LOCAL/junit-odoo-suites.xml" $(for m in ${ODOO_SUITES//,/ }; do
    [ -d "$ODOO_ADDONS/$m/tests" ] && echo "$m/tests"; done) $(for t in $BASE_TESTS; do echo "base/tests/$t.py"; done)
suites_rc=$?
set -e
drop_db "$suites_db"

step "Next to OCA add-ons ($OCA_MODULES) and Odoo's $COMPAT_APPS: their tests and impact_crm's on one database"
compat_db="${DB}_compat"
copy_db "$DB" "$compat_db"
log="$LOCAL/log/install-$compat_db.log"; : > "$log"
odoo -d "$compat_db" -i "$OCA_MODULES,$COMPAT_APPS" --stop-after-init --log-level=info --logfile="$log" \
    || { tail -40 "$log"; die "installing $OCA_MODULES,$COMPAT_APPS beside impact_crm failed (log: $log)"; }
check_log "$log"
set +e
run_suites "$compat_db" "$LOCAL/junit-compat.xml" $(for m in ${OCA_MODULES//,/ } ${COMPAT_APPS//,/ }; do
    echo "$m/tests"; done) "$ROOT/impact_crm/tests"
compat_rc=$?
set -e
drop_db "$compat_db"

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

"$PY" "$ROOT/tools/summary.py" "$LOCAL/junit-odoo.xml" "$LOCAL/junit-odoo-suites.xml" "$LOCAL/junit-compat.xml" \
    "$LOCAL/junit-e2e.xml" || exit 1
[ "$odoo_rc" -eq 0 ] && [ "$suites_rc" -eq 0 ] && [ "$compat_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ] || exit 1
