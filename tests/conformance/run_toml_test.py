#!/usr/bin/python3
"""Run the toml-test conformance suite against toml-decode.

Every case listed in files-toml-1.0.0 is run: valid cases must decode to
the expected tagged JSON (compared by value: integers exactly, floats
numerically with nan and inf, date-times as instants with their offset and
nanoseconds, strings exactly); invalid cases must be rejected with exit
status 1 and a "line:col: message" error, not a crash.

usage: run_toml_test.py --decoder PATH [SUITE_DIR] [--list FILE] [-v]
Prints one line per failure, then "N passed, N failed"; exits 1 if any
case failed.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SUITE = os.path.normpath(
    os.path.join(HERE, '..', '..', '..', 'shared', 'conformance', 'toml-test', 'tests'))

ERROR_LINE = re.compile(r'^\d+:\d+: \S')
SANITIZER = re.compile(r'Sanitizer|runtime error:|LeakSanitizer')
DATETIME = re.compile(
    r'^(?:(\d{4})-(\d{2})-(\d{2}))?[Tt ]?'
    r'(?:(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?'
    r'([Zz]|[+-]\d{2}:\d{2})?$')


def datetime_key(text):
    """A comparable tuple for a date, time or date-time, or None."""
    m = DATETIME.match(text)
    if not m or not text:
        return None
    y, mo, d, h, mi, s, frac, off = m.groups()
    nanos = int((frac or '')[:9].ljust(9, '0')) if frac else 0
    if off is None:
        offset = None
    elif off in ('Z', 'z'):
        offset = 0
    else:
        sign = -1 if off[0] == '-' else 1
        offset = sign * (int(off[1:3]) * 60 + int(off[4:6]))
    return (y, mo, d, h, mi, s, nanos, offset)


def float_value(text):
    try:
        return float(text)
    except ValueError:
        return None


def leaf_equal(want, got):
    kind = want['type']
    if kind != got.get('type'):
        return False
    a, b = want['value'], got.get('value')
    if not isinstance(b, str):
        return False
    if kind == 'integer':
        return int(a) == int(b)
    if kind == 'float':
        x, y = float_value(a), float_value(b)
        if x is None or y is None:
            return False
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return x == y
    if kind in ('datetime', 'datetime-local', 'date-local', 'time-local'):
        x, y = datetime_key(a), datetime_key(b)
        return x is not None and x == y
    return a == b


def is_leaf(node):
    return (isinstance(node, dict) and set(node) == {'type', 'value'}
            and isinstance(node['type'], str))


def compare(want, got, path, problems):
    """Append a description of each difference under path to problems."""
    where = path or '(root)'
    if is_leaf(want):
        if not (isinstance(got, dict) and leaf_equal(want, got)):
            problems.append('%s: expected %s, got %s' % (
                where, json.dumps(want), json.dumps(got)))
        return
    if isinstance(want, dict):
        if not isinstance(got, dict) or is_leaf(got):
            problems.append('%s: expected a table, got %s' % (where, json.dumps(got)))
            return
        for key in want:
            if key not in got:
                problems.append('%s: missing key %s' % (where, json.dumps(key)))
            else:
                compare(want[key], got[key], path + '.' + json.dumps(key), problems)
        for key in got:
            if key not in want:
                problems.append('%s: unexpected key %s' % (where, json.dumps(key)))
        return
    if isinstance(want, list):
        if not isinstance(got, list):
            problems.append('%s: expected an array, got %s' % (where, json.dumps(got)))
            return
        if len(want) != len(got):
            problems.append('%s: expected %d elements, got %d' % (where, len(want), len(got)))
            return
        for i, (w, g) in enumerate(zip(want, got)):
            compare(w, g, '%s[%d]' % (path, i), problems)
        return
    problems.append('%s: unexpected expected-value %s' % (where, json.dumps(want)))


def run_decoder(decoder, data):
    try:
        proc = subprocess.run([decoder], input=data, capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None, b'', b'timed out after 30 seconds'
    return proc.returncode, proc.stdout, proc.stderr


def check_valid(decoder, suite, case):
    with open(os.path.join(suite, case), 'rb') as f:
        data = f.read()
    with open(os.path.join(suite, case[:-len('.toml')] + '.json'), 'rb') as f:
        want = json.loads(f.read().decode('utf-8'))
    status, out, err = run_decoder(decoder, data)
    err_text = err.decode('utf-8', 'replace').strip()
    if status != 0:
        return ['rejected valid input (status %s): %s' % (status, err_text)]
    if SANITIZER.search(err_text):
        return ['sanitizer report: %s' % err_text]
    try:
        got = json.loads(out.decode('utf-8'))
    except ValueError as e:
        return ['output is not JSON: %s' % e]
    problems = []
    compare(want, got, '', problems)
    return problems


def check_invalid(decoder, suite, case):
    with open(os.path.join(suite, case), 'rb') as f:
        data = f.read()
    status, out, err = run_decoder(decoder, data)
    err_text = err.decode('utf-8', 'replace').strip()
    if status == 0:
        return ['accepted invalid input, decoded as: %s' % out.decode('utf-8', 'replace')[:300]]
    if status != 1 or SANITIZER.search(err_text):
        return ['crashed (status %s): %s' % (status, err_text[:2000])]
    if not ERROR_LINE.match(err_text):
        return ['error is not "line:col: message": %r' % err_text[:300]]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--decoder', required=True, help='path to toml-decode')
    ap.add_argument('suite', nargs='?', default=DEFAULT_SUITE,
                    help='the toml-test tests/ directory (default: %(default)s)')
    ap.add_argument('--list', default='files-toml-1.0.0',
                    help='case list inside the suite (default: %(default)s)')
    ap.add_argument('-v', '--verbose', action='store_true', help='print every case')
    args = ap.parse_args()

    with open(os.path.join(args.suite, args.list), encoding='utf-8') as f:
        cases = [line.strip() for line in f if line.strip().endswith('.toml')]
    if not cases:
        print('no cases found in %s' % os.path.join(args.suite, args.list))
        return 1

    passed = failed = 0
    for case in cases:
        if case.startswith('valid/'):
            problems = check_valid(args.decoder, args.suite, case)
        elif case.startswith('invalid/'):
            problems = check_invalid(args.decoder, args.suite, case)
        else:
            problems = ['neither valid/ nor invalid/']
        if problems:
            failed += 1
            print('FAIL %s' % case)
            for p in problems[:10]:
                print('    %s' % p)
        else:
            passed += 1
            if args.verbose:
                print('ok   %s' % case)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
