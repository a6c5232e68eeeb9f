#!/usr/bin/env python3
"""CPU-CUDA agreement of `sls prune` and `sls eval` outputs (run on the GPU machine by bench/gpu/run.sh).

    python3 bench/gpu/compare.py NAME REF_FEATURES REF_INDEX REF_EVAL OTHER_FEATURES OTHER_INDEX OTHER_EVAL

REF is the CPU fp32 run. Prints one JSON line: the features' largest absolute difference divided by the
largest magnitude (per layer, worst layer), the largest difference of the silhouette scores, whether the kept
blocks agree, and both accuracies. Needs numpy (scripts/safetensors_io.py reads the files).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
import safetensors_io  # noqa: E402


def main(name, rf, ri, re, of, oi, oe):
    a, b = safetensors_io.read(rf)['feats'].astype(np.float64), safetensors_io.read(of)['feats'].astype(np.float64)
    rel = [float(np.abs(x - y).max() / np.abs(x).max()) for x, y in zip(a, b)]
    ia, ib = json.load(open(ri)), json.load(open(oi))
    ea, eb = json.load(open(re)), json.load(open(oe))
    print(json.dumps({
        'name': name,
        'features_rel_max_worst_layer': max(rel),
        'scores_max_abs_diff': float(np.abs(np.array(ia['scores']) - np.array(ib['scores'])).max()),
        'scores_ref': ia['scores'], 'scores_other': ib['scores'],
        'kept_ref': len(ia['kept_blocks']), 'kept_other': len(ib['kept_blocks']),
        'decision_agrees': ia['kept_blocks'] == ib['kept_blocks'],
        'top1_ref': ea['top1'], 'top1_other': eb['top1'],
    }))


if __name__ == '__main__':
    main(*sys.argv[1:8])
