#!/usr/bin/env python3
"""Time from process start to a marker line on stderr (default: the feature pass starting), and to exit.

    python3 bench/startup.py [--marker REGEX] [--repeats N] -- COMMAND...

Runs COMMAND N times (default 5), timestamps each stderr line against the moment the process was spawned, and prints
the median seconds to the first line matching REGEX (default `features: features \\(`: `sls prune` has loaded the
runtime, TorchSharp, the checkpoint and the calibration list and starts the first batch) and to the process's exit.
Standard library only.
"""
import re
import statistics
import subprocess
import sys
import time


def main(argv):
    marker, repeats = r'features: features \(', 5
    while argv and argv[0] != '--':
        flag = argv.pop(0)
        if flag == '--marker':
            marker = argv.pop(0)
        elif flag == '--repeats':
            repeats = int(argv.pop(0))
        else:
            sys.exit(f'unknown option {flag}')
    command = argv[1:]
    pattern = re.compile(marker)
    to_marker, to_exit = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        p = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen = None
        for line in p.stderr:
            if seen is None and pattern.search(line):
                seen = time.perf_counter() - start
        p.wait()
        to_exit.append(time.perf_counter() - start)
        if p.returncode != 0 or seen is None:
            sys.exit(f'exit {p.returncode}; marker seen: {seen is not None}')
        to_marker.append(seen)
    print(f'to_marker_median {statistics.median(to_marker):.3f} s (runs: {" ".join(f"{t:.3f}" for t in to_marker)})')
    print(f'to_exit_median {statistics.median(to_exit):.3f} s (runs: {" ".join(f"{t:.3f}" for t in to_exit)})')


if __name__ == '__main__':
    main(sys.argv[1:])
