"""Odoo servers for the tests and benchmarks, started as 'make run' starts them (tools/run.sh: the database is
made from the template and impact_crm installed when missing), or a plain Odoo without impact_crm."""
import os
import signal
import subprocess
import time

import requests

from .db import ROOT

HOST = '127.0.0.1'


class ServerError(RuntimeError):
    pass


def log_tail(log, size=3000):
    return open(log, errors='replace').read()[-size:] if log and os.path.exists(log) else ''


def wait_for_server(url, proc=None, log=None, timeout=180):
    """Wait until ``url`` serves its login page; ServerError with the log's tail when it does not."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerError('the Odoo server exited (%s); log %s:\n%s' % (proc.returncode, log, log_tail(log)))
        try:
            if requests.get(url + '/web/login', timeout=10).status_code == 200:
                return url
        except requests.RequestException as exc:
            last = exc
        time.sleep(1)
    raise ServerError('Odoo did not answer on %s: %s\n%s' % (url, last, log_tail(log)))


class Server(object):
    """An Odoo server in its own process group; ``url``, ``db``, ``log``, ``proc``."""

    def __init__(self, db, port, workers=4, plain=False, log_level='warn', extra=(), timeout=600, env=None):
        self.db, self.port, self.plain = db, port, plain
        self.url = 'http://%s:%d' % (HOST, port)
        self.log = os.path.join(ROOT, '.local', 'log', 'server-%s.log' % db)
        open(self.log, 'w').close()   # this run's log only (Odoo appends)
        options = ['--logfile=%s' % self.log, '--log-level=%s' % log_level] + list(extra)
        if plain:
            # Odoo as it is: the database is used as it is (a copy of the template, without impact_crm)
            command = ['bash', '-c', 'source tools/lib.sh; odoo "$@"', 'odoo', '-d', db, '--db-filter=^%s$' % db,
                       '--http-interface=%s' % HOST, '--http-port=%d' % port, '--longpolling-port=%d' % (port + 3),
                       '--workers=%d' % workers] + options
            env = dict(os.environ, **(env or {}))
        else:
            command = ['bash', os.path.join(ROOT, 'tools', 'run.sh')] + options
            env = dict(os.environ, IMPACT_DB=db, IMPACT_HTTP_PORT=str(port), IMPACT_WORKERS=str(workers),
                       **(env or {}))
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_server(self.url, self.proc, self.log, timeout)
        except ServerError:
            self.stop()
            raise

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
