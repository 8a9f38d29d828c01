#!/usr/bin/env bash
# make run: set everything up on a fresh machine and serve Odoo with impact_crm and demo data.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/base_template.sh"
DB="${IMPACT_DB:-impact_crm}"
HTTP_PORT="${IMPACT_HTTP_PORT:-8069}"

bootstrap
pg_start
if ! module_installed "$DB"; then
    ensure_base_template
    step "Creating database '$DB' with impact_crm and its demo data"
    copy_db "$BASE_TEMPLATE" "$DB"
    log="$LOCAL/log/install-$DB.log"; : > "$log"
    odoo -d "$DB" -i impact_crm --stop-after-init --log-level=info --logfile="$log" \
        || { tail -40 "$log"; die "installing impact_crm failed (log: $log)"; }
    check_log "$log"
    module_hash > "$LOCAL/.module-$DB"
elif [ "$(module_hash)" != "$(cat "$LOCAL/.module-$DB" 2>/dev/null)" ]; then
    step "impact_crm changed since '$DB' was set up: upgrading the module (-u impact_crm)"
    log="$LOCAL/log/upgrade-$DB.log"; : > "$log"
    odoo -d "$DB" -u impact_crm --stop-after-init --log-level=info --logfile="$log" \
        || { tail -40 "$log"; die "upgrading impact_crm failed (log: $log)"; }
    check_log "$log"
    module_hash > "$LOCAL/.module-$DB"
fi
step "Odoo is starting on http://127.0.0.1:$HTTP_PORT  (login: admin  password: admin)  Ctrl-C stops it; 'make stop' stops PostgreSQL"
exec_args=()
[ -n "${IMPACT_WORKERS:-}" ] && exec_args+=("--workers=$IMPACT_WORKERS")
odoo -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
    --longpolling-port="$((HTTP_PORT + 3))" "${exec_args[@]}" "$@"
