"""Merge a POT exported by Odoo into a PO file: the PO follows the POT entry for entry (order,
references, comments), keeps its translations, gains the new strings with an empty msgstr and
loses the strings that are no longer in the code. Prints the untranslated strings.

usage: i18n_merge.py impact_crm.pot he.po
"""
import sys

import polib

HEADER_KEYS = ('Project-Id-Version', 'Report-Msgid-Bugs-To', 'Language', 'MIME-Version', 'Content-Type',
               'Content-Transfer-Encoding', 'Plural-Forms')


def merge(pot_path, po_path):
    pot = polib.pofile(pot_path, wrapwidth=0)
    old = polib.pofile(po_path, wrapwidth=0)
    known = dict((entry.msgid, entry.msgstr) for entry in old if not entry.obsolete)
    new = polib.POFile(wrapwidth=0)
    new.header = old.header
    new.metadata = dict((key, old.metadata[key]) for key in HEADER_KEYS if key in old.metadata)
    for entry in pot:
        new.append(polib.POEntry(
            msgid=entry.msgid,
            msgstr=known.get(entry.msgid, ''),
            occurrences=entry.occurrences,
            comment=entry.comment,
            tcomment=entry.tcomment,
            flags=[flag for flag in entry.flags if flag != 'fuzzy'],
        ))
    new.save(po_path)
    added = [e.msgid for e in new if e.msgid not in known]
    dropped = [msgid for msgid in known if msgid not in set(e.msgid for e in new)]
    missing = [e.msgid for e in new if not e.msgstr]
    print('%s: %d strings, %d new, %d obsolete dropped, %d without a translation'
          % (po_path, len(new), len(added), len(dropped), len(missing)))
    for msgid in missing:
        print('  untranslated: %r' % msgid)
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(merge(sys.argv[1], sys.argv[2]))
