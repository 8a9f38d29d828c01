"""The server that 'make run' starts: styled login page, JSON-RPC, impact_crm installed."""
import os
import re
import socket

import requests

from support.rpc import DB
from support.server import Server


def test_login_page_is_styled(server):
    page = requests.get(server + '/web/login', timeout=30)
    assert page.status_code == 200
    assert 'name="login"' in page.text and 'name="password"' in page.text
    css = re.findall(r'href="(/web/content/[^"]+\.css)"', page.text)
    assert css, 'the login page links no compiled stylesheet'
    sheets = [requests.get(server + href, timeout=60) for href in css]
    assert all(sheet.status_code == 200 for sheet in sheets)
    text = ''.join(sheet.text for sheet in sheets)
    # without lessc Odoo serves an error stylesheet instead of compiled Bootstrap
    assert 'Could not execute command' not in text
    assert '.btn-primary' in text and len(text) > 100000


def test_impact_crm_installed(admin):
    modules = admin('ir.module.module', 'search_read', [('name', '=', 'impact_crm')], fields=['state'])
    assert [m['state'] for m in modules] == ['installed']


def test_browser_login(browser, server):
    page = browser.new_page()
    page.goto(server + '/web/login')
    page.fill('input[name=login]', 'admin')
    page.fill('input[name=password]', 'admin')
    page.click('button[type=submit]')
    page.wait_for_selector('.o_main_navbar, .o_web_client', timeout=60000)
    assert '/web' in page.url
    page.close()


def test_login_form_with_the_postgresql_server_given_by_pg_variables(server):
    """'make run' on a PostgreSQL server given by PGHOST, PGPORT and PGUSER (the README's way to use one's own)
    serves its database's login form, not Odoo's database manager: Odoo picks the database of the web login among
    those its database user owns."""
    dsn = dict(item.split('=', 1) for item in os.environ['IMPACT_PG_DSN'].split())
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    own = Server(DB, port, workers=0, env={'PGHOST': dsn['host'], 'PGPORT': dsn['port'], 'PGUSER': dsn['user']})
    try:
        page = requests.get(own.url + '/web/login', timeout=60)
    finally:
        own.stop()
    assert page.status_code == 200
    assert '/web/database/' not in page.url, 'the web login sent to %s' % page.url
    assert 'name="login"' in page.text and 'type="submit"' in page.text
    assert re.findall(r'href="(/web/content/[^"]+\.css)"', page.text), 'the login page links no compiled stylesheet'
