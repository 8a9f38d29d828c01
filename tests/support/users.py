"""Users created through admin's JSON-RPC, each with its own client."""
import uuid

from .rpc import RPC


def make_user(admin, prefix, groups=('sales_team.group_sale_salesman',), name=None, password=None, **values):
    """Create a user ``<prefix><8 random hex digits>`` in the given groups (external ids) and return an RPC
    client logged in as that user. The password is the login unless given."""
    login = '%s%s' % (prefix, uuid.uuid4().hex[:8])
    password = password or login
    vals = {'name': name or login, 'login': login, 'password': password, 'email': '%s@example.com' % login,
            'groups_id': [(6, 0, [admin.ref(group) for group in groups])]}
    vals.update(values)
    admin('res.users', 'create', vals)
    return RPC(login, password, url=admin.url, db=admin.db)


def ensure_user(admin, login, name, groups=('sales_team.group_sale_salesman',)):
    """The user ``login`` (password: the login), created when missing; returns its id."""
    found = admin('res.users', 'search', [('login', '=', login)])
    if found:
        return found[0]
    return admin('res.users', 'create', {'name': name, 'login': login, 'password': login,
                                         'email': '%s@example.com' % login,
                                         'groups_id': [(6, 0, [admin.ref(group) for group in groups])]})
