"""What the out-of-process tests (tests/) and the benchmarks (bench/) share: one JSON-RPC client, Odoo servers
started and stopped the way 'make run' starts them, databases copied and dropped, users created.

tests/ import it as ``support`` (pytest puts tests/ on sys.path for conftest.py); bench/ scripts put tests/ on
sys.path themselves (``bench/_path.py``)."""
