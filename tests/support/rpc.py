"""The one JSON-RPC client of the tests and benchmarks."""
import os
import time

import requests

URL = os.environ.get('IMPACT_URL', 'http://127.0.0.1:18069')
DB = os.environ.get('IMPACT_DB', 'impact_crm_test_e2e')


class RPCError(Exception):
    """An error Odoo answered with; ``name`` is the exception's class (``odoo.exceptions.UserError`` ...)."""

    def __init__(self, error):
        data = error.get('data') or {}
        self.name = data.get('name', '')
        self.message = data.get('message', error.get('message', ''))
        super(RPCError, self).__init__('%s: %s' % (self.name, self.message))


class HTTPError(Exception):
    """The server answered 5xx instead of a JSON-RPC body (a worker killed, a timeout ...)."""

    def __init__(self, status):
        self.status = status
        super(HTTPError, self).__init__('HTTP %s' % status)


def call_service(service, method, *args, url=None, timeout=120):
    """One JSON-RPC call without logging in (``common``/``version`` ...), on a connection of its own."""
    payload = {'jsonrpc': '2.0', 'method': 'call', 'id': 1,
               'params': {'service': service, 'method': method, 'args': args}}
    response = requests.post((url or URL) + '/jsonrpc', json=payload, timeout=timeout)
    response.raise_for_status()
    body = response.json()
    if body.get('error'):
        raise RPCError(body['error'])
    return body.get('result')


class RPC(object):
    """A JSON-RPC client logged in as one user, with its own HTTP connection.

    ``rpc(model, method, *args, **kwargs)`` is ``execute_kw``. ``latencies``, when a list, receives the
    duration of every request (the load benchmark's per-request statistics)."""

    latencies = None

    def __init__(self, login, password, url=None, db=None, timeout=120):
        self.url = url or URL
        self.db = db or DB
        self.login = login
        self.password = password
        self.timeout = timeout
        self.session = requests.Session()
        self.uid = self.call('common', 'login', self.db, login, password)
        if not self.uid:
            raise AssertionError('login failed for %s' % login)

    def call(self, service, method, *args):
        payload = {'jsonrpc': '2.0', 'method': 'call', 'id': 1,
                   'params': {'service': service, 'method': method, 'args': args}}
        start = time.time()
        try:
            response = self.session.post(self.url + '/jsonrpc', json=payload, timeout=self.timeout)
        finally:
            if self.latencies is not None:
                self.latencies.append(time.time() - start)
        if response.status_code >= 500:
            raise HTTPError(response.status_code)
        response.raise_for_status()
        body = response.json()
        if body.get('error'):
            raise RPCError(body['error'])
        return body.get('result')  # a method returning None gives no 'result'

    def __call__(self, model, method, *args, **kwargs):
        return self.call('object', 'execute_kw', self.db, self.uid, self.password, model, method, list(args), kwargs)

    def ref(self, xmlid):
        """The database id of the record with external id ``xmlid``."""
        return self('ir.model.data', 'xmlid_to_res_id', xmlid)
