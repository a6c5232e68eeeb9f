#!/usr/bin/python3
"""Reference for the FEM benchmark: scikit-learn TSNE(n_components=2, init='pca', random_state=0) + min-max +
silhouette_score per layer, on the same features as `SlsPrune.Bench fem`.

    /usr/bin/python3 bench/fem_reference.py FEATURES.safetensors
Needs python3-sklearn and numpy. Both sides read identical features: `SlsPrune.Bench fem random PATH` writes
the random set to PATH (and times the C# FEM on it).
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import safetensors_io  # noqa: E402


def main(path):
    t = safetensors_io.read(path)
    feats, labels = t['feats'], t['labels']
    start = time.perf_counter()
    scores = []
    for X in feats:
        Y = TSNE(n_components=2, init='pca', random_state=0).fit_transform(X)
        Yn = (Y - Y.min(0)) / (Y.max(0) - Y.min(0))
        scores.append(silhouette_score(Yn, labels))
    took = time.perf_counter() - start
    print('sc ' + ' '.join(f'{s:.4f}' for s in scores))
    print(f'fem_seconds {took:.2f} s ({feats.shape[0]} layers x {feats.shape[1]} points x {feats.shape[2]} width, sklearn)')


if __name__ == '__main__':
    main(sys.argv[1])
