"""One closing line for all test runs: read pytest's JUnit XML files and add them up.

Exits 1 when a run is missing, when anything failed, and when no test ran.
"""
import sys
import xml.etree.ElementTree as ET


def main(paths):
    totals = {'tests': 0, 'failures': 0, 'errors': 0, 'skipped': 0}
    reasons = {}
    missing = []
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (IOError, ET.ParseError):
            missing.append(path)
            continue
        suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
        for suite in suites:
            for key in totals:
                totals[key] += int(suite.get(key, 0))
            # why tests were skipped (e.g. no chromium: browser tests), said right above the closing line
            for skipped in suite.iter('skipped'):
                reason = (skipped.get('message') or 'no reason given').split('\n')[0].strip()
                reason = reason[len('Skipped: '):] if reason.startswith('Skipped: ') else reason
                reasons[reason] = reasons.get(reason, 0) + 1
    failed = totals['failures'] + totals['errors']
    passed = totals['tests'] - failed - totals['skipped']
    for reason, count in sorted(reasons.items()):
        print('skipped or expected to fail (%d): %s' % (count, reason))
    # the closing line stays plain ('N passed, N failed, N skipped'): CI reads it
    print('impact_crm: %d passed, %d failed, %d skipped' % (passed, failed, totals['skipped']))
    if missing:
        print('missing test results: %s' % ', '.join(missing))
    return 1 if (missing or failed or passed == 0) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
