#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check that the arm64 build still has the orderings the litmus tests assume.

Every acquire/release access and fence in libxshm carries a label comment
on the line before its statement (`/* LMM_FIXED_HEAD_PUB: pairs with ... */`).
The AArch64 litmus tests name the instruction they assume at each label
(`(* sites: LMM_FIXED_HEAD_PUB=stlr LMM_OVW_OLDEST_PUB=dmb.ish *)`).  This
script finds each labelled statement in the objects' line table
(`objdump -dl` of a -g build, which also covers inlined copies) and, in every
function the statement was compiled into, compares the ordering
instructions there with the assumed one.

usage: sites.py SRCDIR LITMUSDIR OBJDUMP OBJ...    prints TAP lines (no plan)
"""
import glob
import os
import re
import subprocess
import sys

# instructions that order memory on arm64 (operands kept only for barriers)
ORDERING = re.compile(r'^(ldar[bh]?|ldapr[bh]?|ldapur\w*|stlr[bh]?|'
                      r'stlur\w*|ldaxr\w*|stlxr\w*|ldxr\w*|stxr\w*|'
                      r'dmb|dsb|isb|cas\w*|swp\w*|'
                      r'ld(add|clr|eor|set|smax|smin|umax|umin)\w*|'
                      r'outline)$')
ORDER_WORDS = re.compile(r'memory_order_(acquire|release|acq_rel|seq_cst|'
                         r'consume)')
LABEL = re.compile(r'/\* (LMM_[A-Z0-9_]+):')


def insn_name(mnemonic, operands):
    """ldar, stlr, dmb.ish, dmb.ishld, ...: what the sites lines name."""
    if mnemonic in ('dmb', 'dsb'):
        return mnemonic + '.' + operands.split()[0]
    return mnemonic


def find_labels(srcdir):
    """label -> (file, first, last line of the statement after it)."""
    labels, covered, unlabelled = {}, set(), []
    for path in sorted(glob.glob(os.path.join(srcdir, '*.[ch]'))):
        name = os.path.basename(path)
        lines = open(path, encoding='utf-8').read().split('\n')
        for i, text in enumerate(lines):
            m = LABEL.search(text)
            if not m:
                continue
            end = i                 # the label's comment may run on
            while '*/' not in lines[end]:
                end += 1
            first = last = end + 2  # 1-based number of the next line
            while ';' not in lines[last - 1]:
                last += 1
            if m.group(1) in labels:
                raise SystemExit(f'{m.group(1)} labels two sites')
            labels[m.group(1)] = (name, first, last)
            covered.update((name, n) for n in range(first, last + 1))
        for i, text in enumerate(lines):
            code = text.split('/*')[0]
            # atomic_signal_fence only restrains the compiler
            if (ORDER_WORDS.search(code) and 'signal_fence' not in code and
                    (name, i + 1) not in covered):
                unlabelled.append(f'{name}:{i + 1}')
    return labels, unlabelled


def assumed_sites(litmusdir):
    """label -> (instruction, test file) from the AArch64 tests."""
    want, errors = {}, []
    for path in sorted(glob.glob(os.path.join(litmusdir, '*.litmus'))):
        for m in re.finditer(r'\(\* sites:([^*]*)\*\)', open(path).read()):
            for item in m.group(1).split():
                label, insn = item.split('=')
                old = want.get(label)
                if old and old[0] != insn:
                    errors.append(f'{label}: {old[1]} assumes {old[0]}, '
                                  f'{os.path.basename(path)} {insn}')
                want.setdefault(label, (insn, os.path.basename(path)))
    return want, errors


def disassemble(objdump, objs):
    """[(object, function, file, line, instruction)] from objdump -dl."""
    out = []
    for obj in objs:
        text = subprocess.run([objdump, '-dl', '--no-show-raw-insn', obj],
                              check=True, capture_output=True,
                              text=True).stdout
        func = src = None
        line = 0
        for row in text.split('\n'):
            m = re.match(r'^[0-9a-f]+ <(.+)>:$', row)
            if m:
                func = m.group(1)
                continue
            m = re.match(r'^(/\S+):(\d+)', row)
            if m:
                src, line = os.path.basename(m.group(1)), int(m.group(2))
                continue
            m = re.match(r'^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$', row)
            if m and func:
                # gcc's outline atomics: a call to __aarch64_cas8_acq is
                # CASA on an LSE CPU, an LDAXR/STXR loop on others
                helper = re.search(r'<__aarch64_(\w+)>', m.group(2))
                name = ('outline.' + helper.group(1) if helper else
                        insn_name(m.group(1), m.group(2)))
                out.append((os.path.basename(obj), func, src, line, name))
    return out


def main():
    srcdir, litmusdir, objdump = sys.argv[1:4]
    labels, unlabelled = find_labels(srcdir)
    want, errors = assumed_sites(litmusdir)
    insns = disassemble(objdump, sys.argv[4:])
    results = []

    results.append((not unlabelled, 'every acquire/release statement has an '
                    'LMM_ label' + (': missing at ' + ' '.join(unlabelled)
                                    if unlabelled else '')))
    results.append((not errors, 'the AArch64 tests agree on each site' +
                    (': ' + '; '.join(errors) if errors else '')))
    for label in sorted(set(labels) | set(want)):
        if label not in labels:
            results.append((False, f'site {label}: named by {want[label][1]} '
                            'but labels nothing in the code'))
            continue
        src, first, last = labels[label]
        where = f'{src}:{first}'
        if label not in want:
            results.append((False, f'site {label} ({where}): no AArch64 '
                            'litmus test covers it'))
            continue
        insn, test = want[label]
        funcs = {}
        for obj, func, fsrc, line, name in insns:
            if fsrc == src and first <= line <= last:
                funcs.setdefault((obj, func), []).append(name)
        bad = []
        for (obj, func), names in sorted(funcs.items()):
            found = [n for n in names if ORDERING.match(n.split('.')[0])]
            if not found or any(n != insn for n in found):
                bad.append(f'{obj}:{func} has {",".join(found) or "none"}')
        if not funcs:
            results.append((False, f'site {label} ({where}): not found in '
                            'the arm64 objects'))
        else:
            used = ' '.join(sorted({f for _, f in funcs}))
            results.append((not bad, f'site {label} ({where}) is {insn} as '
                            f'{test} assumes, in {len(funcs)} copies' +
                            (': ' + '; '.join(bad) if bad else '') +
                            f' [{used}]'))
    for good, text in results:
        print(('ok - ' if good else 'not ok - ') + text)


if __name__ == '__main__':
    main()
