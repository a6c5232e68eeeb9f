#!/usr/bin/python3
"""Checks an `sls prune` decision against scikit-learn and the reference loop.

    sls prune ... --features-out feats.safetensors --out index.sls.json
    /usr/bin/python3 scripts/check_prune_reference.py feats.safetensors index.sls.json

Runs TSNE(n_components=2, init='pca', random_state=0) -> min-max -> silhouette_score on each layer of the
saved features, applies DESIGN.md steps 4-6 with the index's alpha, and prints both score curves and both
decisions. Exit 0 when the decisions agree, 1 when they differ (and says by how much each layer was from
the threshold, since a layer within sklearn's own run-to-run spread of T can go either way).
Needs python3-sklearn and numpy (Debian).
"""
import json
import os
import sys

import numpy as np
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import safetensors_io  # noqa: E402


def reference_loop(sc, alpha):
    n = len(sc)
    if sc[-1] <= 0:
        return n
    t = alpha * sc[-1]
    for i in range(n, 0, -1):
        if sc[i - 1] < t:
            return min(i + 1, n)
    return 1


def main(features, index):
    t = safetensors_io.read(features)
    ix = json.load(open(index))
    if ix['metric'] != 'silhouette':
        sys.exit('only the silhouette metric is checked here')
    scores = []
    for X in t['feats']:
        Y = TSNE(n_components=2, init='pca', random_state=0, perplexity=ix['tsne']['perplexity']).fit_transform(X)
        Yn = (Y - Y.min(0)) / (Y.max(0) - Y.min(0))
        scores.append(float(silhouette_score(Yn, t['labels'])))
    ref = reference_loop(scores, ix['alpha'])
    ours = len(ix['kept_blocks'])
    print('sklearn  SC ' + ' '.join(f'{s:.4f}' for s in scores))
    print('SlsPrune SC ' + ' '.join(f'{s:.4f}' for s in ix['scores']))
    print(f'reference loop keeps {ref} of {len(scores)}; the index keeps {ours}')
    if ref != ours:
        tr = ix['alpha'] * scores[-1]
        print('margins to T (sklearn): ' + ' '.join(f'{s - tr:+.3f}' for s in scores))
        sys.exit(1)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
