# Sourced after lib.sh: a template database with Odoo's own modules (crm, sale_crm,
# sale_management, base_automation) and their demo data, made once per requirements
# set, so that a fresh test or demo database costs seconds instead of a minute.
BASE_MODULES="crm,sale_crm,sale_management,base_automation"
BASE_LANGUAGES="en_US,he_IL"   # the first one is the default language of new users
BASE_TEMPLATE="impact_crm_base_$(echo "$(reqs_hash) $BASE_MODULES $BASE_LANGUAGES" | sha1sum | cut -c1-12)"

ensure_base_template() {
    if db_exists "$BASE_TEMPLATE" && [ -f "$LOCAL/data/filestore/$BASE_TEMPLATE/.complete" ]; then
        return 0
    fi
    # one builder at a time (several checkouts may share a cluster); the others wait for it
    mkdir -p "$LOCAL/data"
    exec 9>"$LOCAL/data/.base-template.lock"
    flock 9
    if db_exists "$BASE_TEMPLATE" && [ -f "$LOCAL/data/filestore/$BASE_TEMPLATE/.complete" ]; then
        flock -u 9
        return 0
    fi
    step "Installing Odoo's crm, sale_crm, sale_management, base_automation into a template database (about a minute, once)"
    drop_db "$BASE_TEMPLATE"
    local log="$LOCAL/log/base-template.log"
    : > "$log"
    odoo -d "$BASE_TEMPLATE" -i "$BASE_MODULES" --load-language="$BASE_LANGUAGES" --stop-after-init \
        --log-level=info --logfile="$log" || { tail -40 "$log"; die "installing Odoo's modules failed"; }
    check_log "$log"
    mkdir -p "$LOCAL/data/filestore/$BASE_TEMPLATE"
    touch "$LOCAL/data/filestore/$BASE_TEMPLATE/.complete"
    flock -u 9
}
