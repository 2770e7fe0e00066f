#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run the litmus tests and their negative controls under herd7.

Each test states, in comments before its initial state:
  (* expect: Never *)                      the verdict the test must give
  (* control: "OLD" -> "NEW" => VERDICT *) a negative control: the test with
                                           OLD (exactly once in its code;
                                           \n is a newline) replaced by NEW
                                           must give VERDICT
C tests run under RC11 (rc11.cat), AArch64 tests under aarch64.cat.  A
verdict is herd's observation (Never, Sometimes, Always), or Undef when
herd flags a data race: for a C11 program that is undefined behaviour,
which is how RC11 answers that plain data may be read while written.

usage: herd.py WORKDIR TABLE HERD-COMMAND... -- LITMUS...
  prints TAP lines (no numbers, no plan); writes a Markdown table to TABLE.
"""
import os
import re
import subprocess
import sys

MODELS = {'C': 'rc11.cat', 'AArch64': 'aarch64.cat'}
CONTROL = re.compile(r'\(\* control: "(.*?)" -> "(.*?)" => (\w+) \*\)')


def parse(path):
    text = open(path).read()
    arch, name = text.split('\n', 1)[0].split()[:2]
    expect = re.search(r'\(\* expect: (\w+) \*\)', text)
    if arch not in MODELS or not expect:
        raise SystemExit(f'{path}: needs an AArch64/C header and an expect')
    return {'path': path, 'arch': arch, 'name': name, 'text': text,
            'expect': expect.group(1), 'controls': CONTROL.findall(text)}


def make_controls(test, workdir):
    """Write each control next to the others; [(name, path, verdict, what)]."""
    out = []
    head, code = test['text'].split('\n{', 1)
    for k, (old, new, verdict) in enumerate(test['controls'], 1):
        what = f'"{old}" -> "{new}"'
        old, new = old.replace('\\n', '\n'), new.replace('\\n', '\n')
        name = f"{test['name']}+ctl{k}"
        if code.count(old) != 1:
            out.append((name, None, verdict, what))
            continue
        body = head.replace(test['name'], name, 1) + '\n{' + \
            code.replace(old, new)
        path = os.path.join(workdir, name + '.litmus')
        with open(path, 'w') as f:
            f.write(body)
        out.append((name, path, verdict, what))
    return out


def run_herd(herd, model, paths):
    """name -> verdict for every test herd7 answered."""
    res = subprocess.run(herd + ['-model', model] + paths,
                         capture_output=True, text=True)
    verdicts, flags = {}, set()
    for line in res.stdout.split('\n'):
        if line.startswith('Test '):
            flags = set()
        elif line.startswith('Flag '):
            flags.add(line.split()[1])
        elif line.startswith('Observation '):
            _, name, verdict = line.split()[:3]
            verdicts[name] = 'Undef' if any('undef' in f for f in flags) \
                else verdict
    if res.returncode or res.stderr.strip():
        sys.stderr.write(res.stderr)
    return verdicts


def main():
    workdir, table = sys.argv[1:3]
    sep = sys.argv.index('--')
    herd, files = sys.argv[3:sep], sys.argv[sep + 1:]
    os.makedirs(workdir, exist_ok=True)
    tests = [parse(p) for p in sorted(files)]
    runs = {arch: [] for arch in MODELS}    # arch -> [(name, path)]
    checks = []                             # (test, name, expect, what)
    for t in tests:
        runs[t['arch']].append((t['name'], t['path']))
        checks.append((t, t['name'], t['expect'], 'as written'))
        for name, path, verdict, what in make_controls(t, workdir):
            if path:
                runs[t['arch']].append((name, path))
            checks.append((t, name, verdict, 'control ' + what))
    verdicts = {}
    for arch, items in runs.items():
        if items:
            verdicts.update(run_herd(herd, MODELS[arch],
                                     [p for _, p in items]))
    rows = {}
    for t, name, expect, what in checks:
        got = verdicts.get(name, 'no answer from herd7')
        ok = got == expect
        print(('ok - ' if ok else 'not ok - ') +
              f'{name} ({MODELS[t["arch"]]}, {what}): {got}' +
              ('' if ok else f', expected {expect}'))
        pair, kind = t['name'].rsplit('.', 1)
        row = rows.setdefault(pair, {'c11': '-', 'a64': '-', 'ctl': [],
                                     'sites': ''})
        if name == t['name']:
            row[kind] = got
            m = re.search(r'\(\* sites:([^*]*)\*\)', t['text'])
            if m:
                row['sites'] = ', '.join(
                    f'`{s}`' for s in m.group(1).split())
        else:
            row['ctl'].append((kind, got))
    with open(table, 'w') as f:
        f.write('| pair | C11 (RC11) | AArch64 | negative controls | '
                'sites (AArch64 instruction) |\n|---|---|---|---|---|\n')
        for pair, row in sorted(rows.items()):
            ctl = '; '.join(
                label + ': ' + ', '.join(g for k, g in row['ctl'] if k == kind)
                for kind, label in (('c11', 'C11'), ('a64', 'AArch64')))
            f.write(f"| {pair} | {row['c11']} | {row['a64']} | {ctl} | "
                    f"{row['sites']} |\n")


if __name__ == '__main__':
    main()
