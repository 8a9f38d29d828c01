#!/usr/bin/env bash
# make pot: regenerate impact_crm/i18n/impact_crm.pot from the code with Odoo's --i18n-export,
# on a fresh database with the module (and its demo data) installed, then merge it into
# impact_crm/i18n/he.po: translations kept, new strings added (empty), obsolete ones dropped.
# It prints the strings still waiting for a Hebrew translation; the test
# impact_crm/tests/test_i18n.py fails while there are any.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/base_template.sh"
DB="${IMPACT_I18N_DB:-impact_crm_i18n}"
I18N="$ROOT/impact_crm/i18n"

bootstrap
pg_start
ensure_base_template
step "Installing impact_crm into a fresh database '$DB'"
copy_db "$BASE_TEMPLATE" "$DB"
log="$LOCAL/log/install-$DB.log"; : > "$log"
odoo -d "$DB" -i impact_crm --stop-after-init --log-level=info --logfile="$log" \
    || { tail -40 "$log"; die "installing impact_crm failed (log: $log)"; }
check_log "$log"

step "Exporting $I18N/impact_crm.pot (odoo --i18n-export)"
# Odoo picks the format by extension and knows .po, not .pot: without --language it writes a template
export_log="$LOCAL/log/i18n-export.log"; : > "$export_log"
odoo -d "$DB" --i18n-export="$LOCAL/impact_crm-export.po" --modules=impact_crm --stop-after-init \
    --log-level=warn --logfile="$export_log" || { tail -40 "$export_log"; die "the export failed"; }
check_log "$export_log"
# no creation dates: the template changes only when the strings do
grep -v -E '^"(POT-Creation|PO-Revision)-Date: ' "$LOCAL/impact_crm-export.po" > "$I18N/impact_crm.pot"
rm -f "$LOCAL/impact_crm-export.po"
drop_db "$DB"

step "Merging the template into $I18N/he.po"
"$PY" "$ROOT/tools/i18n_merge.py" "$I18N/impact_crm.pot" "$I18N/he.po"
