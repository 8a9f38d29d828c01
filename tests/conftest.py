"""Fixtures for the out-of-process tests: a running Odoo (started by tools/test.sh the way
'make run' starts it) reached over HTTP/JSON-RPC, and a headless Chromium."""
import os
import shutil

import pytest

# the shared client and helpers (tests/support/); re-exported for the test modules' imports
from support.rpc import DB, RPC, URL, RPCError  # noqa: F401
from support.server import wait_for_server


@pytest.fixture(scope='session')
def server():
    return wait_for_server(URL, log=os.environ.get('IMPACT_SERVER_LOG'))


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
