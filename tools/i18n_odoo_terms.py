"""Refresh impact_crm/i18n_odoo/he.po: the Hebrew of Odoo's own strings on impact_crm's screens.

The file is curated by hand (msgid: Odoo's English string, msgstr: its Hebrew). This script gives
each entry the places Odoo uses the string (the "#:" references and the "openerp-web" comment of
the JavaScript strings), read from the Hebrew .po files of the Odoo add-ons (other languages' when
an add-on has no Hebrew file), so that Odoo's translation loader attaches every translation to the
view, field, menu, action or code string it belongs to. Entries found nowhere are reported.

    .venv/bin/python tools/i18n_odoo_terms.py [addons folder]
"""
import os
import sys

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, 'impact_crm', 'i18n_odoo', 'he.po')
# the add-ons impact_crm's screens show strings of (its dependencies, installed with it)
MODULES = ('base', 'web', 'mail', 'crm', 'sale', 'sale_crm', 'sale_management', 'sales_team', 'utm',
           'calendar', 'base_automation', 'product', 'account', 'portal', 'resource', 'base_setup',
           'contacts', 'base_import', 'web_tour', 'analytic', 'fetchmail', 'iap', 'web_settings_dashboard',
           'web_planner', 'web_kanban_gauge', 'http_routing', 'payment', 'bus', 'auth_signup', 'sms')


def odoo_addons():
    import odoo.addons
    return os.path.dirname(odoo.addons.__file__)


def source_file(addons, module):
    folder = os.path.join(addons, module, 'i18n')
    for name in ('he.po', 'fr.po', 'de.po'):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def main(addons):
    index = {}
    for module in MODULES:
        path = source_file(addons, module)
        if not path:
            continue
        for entry in polib.pofile(path):
            if entry.obsolete:
                continue
            index.setdefault(entry.msgid, []).append((module, entry, path.endswith('he.po')))
    target = polib.pofile(TARGET, wrapwidth=120)
    missing = []
    for entry in target:
        found = index.get(entry.msgid)
        if not found and not entry.occurrences:
            missing.append(entry.msgid)
            continue
        # references added by hand (strings of Odoo's views that Odoo's .po files miss) are kept;
        # a translator comment "only: <references>" pins a word that means something else elsewhere
        only = [line.split(':', 1)[1].split() for line in (entry.tcomment or '').splitlines()
                if line.startswith('only:')]
        if only:
            entry.occurrences = [(ref, '') for ref in only[0]]
            found = None
        occurrences = list(entry.occurrences)
        comments = set()
        modules = []
        for module, source, hebrew in found or []:
            modules.append(module)
            if source.msgstr and source.msgstr != entry.msgstr and hebrew:
                print('Odoo (%s) says %r for %r, replaced by %r' % (module, source.msgstr, entry.msgid, entry.msgstr))
            for occurrence in source.occurrences:
                if occurrence not in occurrences:
                    occurrences.append(occurrence)
            for line in (source.comment or '').splitlines():
                if line.strip() == 'openerp-web':
                    comments.add('openerp-web')
        entry.occurrences = occurrences
        modules = sorted(set(modules + [o[0].split(':')[-1].split('.')[0] for o in occurrences
                                        if o[0].startswith('model:')]))
        entry.comment = '\n'.join(['module: ' + ', '.join(modules)] + sorted(comments))
    target.sort(key=lambda e: e.msgid.lower())
    target.save(TARGET)
    if missing:
        print('Not found in Odoo (check the spelling):\n  ' + '\n  '.join(missing))
        return 1
    print('%d entries refreshed in %s' % (len(target), TARGET))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else odoo_addons()))
