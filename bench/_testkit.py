"""Puts tests/ on sys.path, for ``support``: the JSON-RPC client, servers, databases and users that the
benchmarks share with the out-of-process tests (tests/support/). Import it before ``support``."""
import os
import sys

TESTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests')
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
