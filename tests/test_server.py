"""The server that 'make run' starts: styled login page, JSON-RPC, impact_crm installed."""
import re

import requests


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
