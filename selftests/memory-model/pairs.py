#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check that every ordering site names the sites it pairs with.

Every acquire/release access and fence in libxshm carries a label comment
(`/* LMM_FIXED_HEAD_PUB: pairs with LMM_FIXED_HEAD_ACQ, ... */`, in the
style of the printk ring buffer).  Each label must say "pairs with" and
name only labels that exist (no patterns), and every label must be named
by at least one other: an ordering nobody pairs with orders nothing.
With --table, prints the pairing table of Documentation/wire-format.md.

usage: pairs.py SRCDIR [--table]    prints TAP lines (no plan) or the table
"""
import glob
import os
import re
import sys

LABEL = re.compile(r'/\* (LMM_[A-Z0-9_]+):')


def read_labels(srcdir):
    """label -> (file, line, [named labels], raw text after the colon)."""
    labels = {}
    for path in sorted(glob.glob(os.path.join(srcdir, '*.[ch]'))):
        lines = open(path, encoding='utf-8').read().split('\n')
        for i, text in enumerate(lines):
            m = LABEL.search(text)
            if not m:
                continue
            body, end = text[m.end():], i
            while '*/' not in lines[end]:
                end += 1
                body += ' ' + lines[end].strip().lstrip('*')
            body = body.split('*/')[0].strip()
            named = re.findall(r'LMM_[A-Z0-9_*]+', body)
            labels[m.group(1)] = (os.path.basename(path), i + 1, named,
                                  body)
    return labels


def main():
    labels = read_labels(sys.argv[1])
    if '--table' in sys.argv[2:]:
        print('| site | file | pairs with |')
        print('| --- | --- | --- |')
        for label in sorted(labels):
            src, _, named, _ = labels[label]
            print(f'| `{label}` | `{src}` | ' +
                  ', '.join(f'`{n}`' for n in named) + ' |')
        return 0
    bad, named_by = [], {}
    for label, (src, line, named, body) in sorted(labels.items()):
        for n in named:
            named_by.setdefault(n, []).append(label)
        wrong = [n for n in named if n not in labels]
        if not body.startswith('pairs with') or not named or wrong:
            bad.append(f'{label} ({src}:{line}) names ' +
                       (' '.join(wrong) if wrong else 'no pair'))
    print(('ok' if not bad else 'not ok') +
          f' - every one of {len(labels)} ordering sites names existing '
          'sites it pairs with' + (': ' + '; '.join(bad) if bad else ''))
    lonely = sorted(set(labels) - set(named_by))
    print(('ok' if not lonely else 'not ok') +
          ' - every ordering site is named by a site it pairs with' +
          (': ' + ' '.join(lonely) if lonely else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
