#!/usr/bin/env python3
"""Median seconds to each stage line of `sls prune` and to exit, for several commands run in alternation.

    python3 bench/stage_times.py ROUNDS 'NAME:COMMAND PREFIX' ['NAME:COMMAND PREFIX' ...] -- PRUNE ARGUMENTS...

Each round runs every command once with the same arguments (stdout discarded), timestamps its stderr lines against
the spawn, and records when 'load: load', 'load: done', 'features: done', 't-SNE: done' and 'write: done' first
appear and when the process ends. Prints the medians per command and every run's time to exit. Each command keeps
its JIT profile (`sls`'s start-up cache) in a folder of its own (XDG_CACHE_HOME), made fresh for the whole set, so two
tools do not read each other's; the first round of each then records it. Standard library only.
Example (two installed tools against each other):

    python3 bench/stage_times.py 8 'before:/tmp/old/sls' 'after:/tmp/new/sls' -- prune --backbone ... --out /tmp/x.sls.json
"""
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MARKS = ['load: load', 'load: done', 'features: done', 't-SNE: done', 'write: done']


def main(argv):
    rounds = int(argv[0])
    split = argv.index('--')
    configs = [a.split(':', 1) for a in argv[1:split]]
    args = argv[split + 1:]
    runs = {name: [] for name, _ in configs}
    caches = {name: tempfile.mkdtemp(prefix=f'sls-cache-{name}-') for name, _ in configs}
    for _ in range(rounds):
        for name, prefix in configs:
            start = time.perf_counter()
            p = subprocess.Popen(shlex.split(prefix) + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, XDG_CACHE_HOME=caches[name]))
            seen = [None] * len(MARKS)
            for line in p.stderr:
                t = time.perf_counter() - start
                for k, mark in enumerate(MARKS):
                    if seen[k] is None and mark in line:
                        seen[k] = t
            p.wait()
            if p.returncode != 0:
                sys.exit(f'{name}: exit {p.returncode}')
            runs[name].append(seen + [time.perf_counter() - start])
    print('median seconds to: ' + ' | '.join(MARKS + ['exit']))
    for name, _ in configs:
        columns = list(zip(*runs[name]))
        medians = [statistics.median(c) if None not in c else float('nan') for c in columns]
        print(f'{name:10s} ' + ' '.join(f'{m:.3f}' for m in medians) + '   exits: ' + ' '.join(f'{r[-1]:.2f}' for r in runs[name]))
    for cache in caches.values():
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == '__main__':
    main(sys.argv[1:])
