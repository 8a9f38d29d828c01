"""Databases of the shared PostgreSQL cluster: SQL checks, and copies made and dropped with tools/lifecycle.sh
(the Odoo commands run in the Python 3.7 venv; the callers run in .venv-e2e)."""
import os
import subprocess

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIFECYCLE = os.path.join(ROOT, 'tools', 'lifecycle.sh')
PG_PORT = int(os.environ.get('IMPACT_PG_PORT', 54329))


def dsn(db=None):
    """The libpq connection string of ``db`` (default: the database IMPACT_PG_DSN names)."""
    base = os.environ.get('IMPACT_PG_DSN', 'host=127.0.0.1 port=%d user=odoo dbname=%s' % (
        PG_PORT, os.environ.get('IMPACT_DB', 'impact_crm_test_e2e')))
    if db is None:
        return base
    return ' '.join([part for part in base.split() if not part.startswith('dbname=')] + ['dbname=%s' % db])


def connect(db=None):
    return psycopg2.connect(dsn(db))


def sql(query, params=None, db=None):
    """Run one statement on its own connection (committed); its rows, or None when it returns none."""
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            rows = cr.fetchall() if cr.description else None
        conn.commit()
        return rows
    finally:
        conn.close()


def lifecycle(*args, stdin=None, timeout=600):
    """tools/lifecycle.sh ARGS...: its standard output; AssertionError with its output when it fails."""
    proc = subprocess.run(['bash', LIFECYCLE] + list(args), input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode:
        raise AssertionError('lifecycle.sh %s failed (%s):\n%s\n%s' % (
            ' '.join(args), proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc.stdout


def template():
    """The template database: Odoo's crm/sale and their demo data, without impact_crm (made if missing)."""
    return lifecycle('base').strip().splitlines()[-1]


def copy_db(src, dst):
    """Copy ``src`` to ``dst`` with its filestore (``dst`` is replaced)."""
    lifecycle('copy', src, dst)
    return dst


def drop_db(db):
    lifecycle('drop', db)
