#!/usr/bin/env bash
# Odoo commands for the lifecycle tests (tests/test_lifecycle.py) and the load script (bench/load.py):
# they run in the Python 3.7 venv, these callers in .venv-e2e. One sub-command per call:
#   lifecycle.sh base                 print the name of the template database (crm/sale + demo), made if missing
#   lifecycle.sh copy SRC DST         copy a database with its filestore
#   lifecycle.sh drop DB              drop a database and its filestore
#   lifecycle.sh install DB [MODS]    install impact_crm, or the given modules (-i), fail on ERROR lines in the log
#   lifecycle.sh upgrade DB [MODS]    upgrade impact_crm, or the given modules (crm, sale, all ...) with -u,
#                                     fail on ERROR lines in the log
#   lifecycle.sh uninstall DB         uninstall impact_crm the way Apps > Uninstall does
#   lifecycle.sh shell DB < script    run a Python script in an Odoo shell (env, commit yourself)
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/base_template.sh"

cmd="${1:-}"
shift || true
db="${1:-}"
log="$LOCAL/log/lifecycle-${db:-none}.log"

run_logged() {
    # an Odoo command whose log must stay free of ERROR lines
    : > "$log"
    odoo -d "$db" "$@" --stop-after-init --log-level=info --logfile="$log" \
        || { tail -40 "$log"; die "odoo $* failed on $db (log: $log)"; }
    check_log "$log"
}

case "$cmd" in
    base)
        pg_start >/dev/null
        ensure_base_template >&2
        echo "$BASE_TEMPLATE"
        ;;
    copy) copy_db "$1" "$2" ;;
    drop) drop_db "$db" ;;
    install)
        # as on a production database: the add-on's demo data is not loaded (Odoo 11 loads it when
        # the command line asks for it or when a dependency was installed with demo data)
        # the modules installed with demo data keep that flag afterwards (a later '-u all' deletes the demo
        # records of a module whose flag is off)
        demo="$(psql_cmd -d "$db" -tAc "SELECT string_agg(quote_literal(name), ',') FROM ir_module_module WHERE demo")"
        psql_cmd -d "$db" -c "UPDATE ir_module_module SET demo = false" >/dev/null
        run_logged -i "${2:-impact_crm}" --without-demo=all
        [ -z "$demo" ] || psql_cmd -d "$db" -c "UPDATE ir_module_module SET demo = true WHERE name IN ($demo)" >/dev/null
        ;;
    upgrade) run_logged -u "${2:-impact_crm}" ;;
    uninstall)
        : > "$log"
        printf '%s\n' \
            "module = env['ir.module.module'].search([('name', '=', 'impact_crm')])" \
            "assert module.state == 'installed', module.state" \
            "module.button_immediate_uninstall()" \
            | odoo shell -d "$db" --log-level=info --logfile="$log" --no-http \
            || { tail -40 "$log"; die "uninstalling impact_crm failed on $db (log: $log)"; }
        check_log "$log"
        ;;
    shell)
        odoo shell -d "$db" --log-level=warn --no-http
        ;;
    *) die "usage: lifecycle.sh base|copy|drop|install|upgrade|uninstall|shell DB" ;;
esac
