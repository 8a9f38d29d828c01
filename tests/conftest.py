"""Fixtures for the out-of-process tests: a running Odoo (started by tools/test.sh the way
'make run' starts it) reached over HTTP/JSON-RPC, and a headless Chromium."""
import os
import shutil
import time

import pytest
import requests

URL = os.environ.get('IMPACT_URL', 'http://127.0.0.1:18069')
DB = os.environ.get('IMPACT_DB', 'impact_crm_test_e2e')


class RPC(object):
    """A minimal JSON-RPC client, logged in as one user."""

    def __init__(self, login, password):
        self.login = login
        self.password = password
        self.uid = self.call('common', 'login', DB, login, password)
        if not self.uid:
            raise AssertionError('login failed for %s' % login)

    @staticmethod
    def call(service, method, *args):
        payload = {'jsonrpc': '2.0', 'method': 'call', 'id': 1,
                   'params': {'service': service, 'method': method, 'args': args}}
        response = requests.post(URL + '/jsonrpc', json=payload, timeout=120)
        response.raise_for_status()
        body = response.json()
        if body.get('error'):
            raise RPCError(body['error'])
        return body.get('result')  # a method returning None gives no 'result'

    def __call__(self, model, method, *args, **kwargs):
        return self.call('object', 'execute_kw', DB, self.uid, self.password, model, method, list(args), kwargs)


class RPCError(Exception):
    def __init__(self, error):
        data = error.get('data') or {}
        self.name = data.get('name', '')
        self.message = data.get('message', error.get('message', ''))
        super(RPCError, self).__init__('%s: %s' % (self.name, self.message))


def wait_for_server(timeout=180):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if requests.get(URL + '/web/login', timeout=10).status_code == 200:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(1)
    log = os.environ.get('IMPACT_SERVER_LOG')
    tail = open(log).read()[-3000:] if log and os.path.exists(log) else ''
    raise RuntimeError('Odoo did not answer on %s: %s\n%s' % (URL, last, tail))


@pytest.fixture(scope='session')
def server():
    wait_for_server()
    return URL


@pytest.fixture(scope='session')
def admin(server):
    return RPC('admin', 'admin')


@pytest.fixture(scope='session')
def browser(server):
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if not chromium:
        pytest.skip('Debian chromium is not installed on this machine: browser tests skipped')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'])
        yield browser
        browser.close()
