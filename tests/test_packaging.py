"""Installable the way OCA add-ons are: the wheel built with whool goes into a fresh virtualenv with pip, which
brings the add-on's Python dependency, and Odoo installs the module from there into a new database."""
import os
import subprocess

from support.db import connect, drop_db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E2E_DB = os.environ.get('IMPACT_DB', 'impact_crm_test_e2e')
DB = (E2E_DB[:-len('_e2e')] if E2E_DB.endswith('_e2e') else E2E_DB) + '_wheel'


def test_wheel_installs_into_a_fresh_virtualenv_and_a_new_database():
    try:
        proc = subprocess.run(['bash', os.path.join(ROOT, 'tools', 'wheel.sh'), 'check', DB],
                              capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        lines = proc.stdout.splitlines()
        built = [line for line in lines if line.startswith('built ')]
        assert built and built[0].startswith('built odoo11_addon_impact_crm-11.0.'), lines
        assert any(line.startswith('xlsxwriter ') for line in lines), lines   # brought by pip
        site = [line for line in lines if line.startswith('impact_crm in ')]
        assert site and '/.local/wheel-check/venv/' in site[0], lines
        assert 'loaded from %s' % site[0][len('impact_crm in '):] in lines
        conn = connect(DB)
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT state, latest_version FROM ir_module_module WHERE name = 'impact_crm'")
                state, version = cr.fetchone()
                cr.execute("SELECT count(*) FROM crm_stage WHERE group_id IS NOT NULL")
                stages = cr.fetchone()[0]
        finally:
            conn.close()
        assert state == 'installed' and version.startswith('11.0.')
        assert stages >= 8
    finally:
        drop_db(DB)
