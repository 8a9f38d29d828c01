"""Internal flags: how this module's own code tells a deeper create/write "this is us", e.g. the lost flow
writing the loss fields, the stage rules running, a probability reset.

A flag is a context key whose value is a private object. A JSON-RPC client can send any key in its
context, but only JSON values (true, 1, "x"): never this object. So a flag sent from outside is just
ignored, and no context key changes the module's behaviour for a client.
"""

_TOKEN = object()


def with_flags(records, *names):
    """``records`` with the internal flags ``names`` raised."""
    return records.with_context(**dict((name, _TOKEN) for name in names))


def has_flag(records, name):
    """True when ``name`` was raised by this module's code (``with_flags``), never from a client."""
    return records.env.context.get(name) is _TOKEN


def token():
    """The private value of a raised flag (for code that builds a context itself)."""
    return _TOKEN


class InternalSet(frozenset):
    """A set of values this module's code hands a deeper call through the context (e.g. the deals and
    partners the stage rules already subscribed). A JSON-RPC context holds lists, never this type: a client
    sending the same key is ignored, as with a flag."""


def with_internal_set(records, name, values):
    """``records`` with ``values`` under context key ``name``, as an InternalSet."""
    return records.with_context(**{name: InternalSet(values)})


def internal_set(records, name):
    """The InternalSet under ``name`` raised by this module's code; an empty set otherwise."""
    value = records.env.context.get(name)
    return value if isinstance(value, InternalSet) else InternalSet()
