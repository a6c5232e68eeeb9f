#!/usr/bin/python3
"""Reference fixtures for SLS scoring: scikit-learn's metrics, t-SNE and the reference pruning loop.

Run with Debian's Python (python3-sklearn, python3-numpy):
    /usr/bin/python3 scripts/make_sls_fixtures.py tests/fixtures/sls

Feature sets (float32, [layers, n, width]) shaped like per-block cls tokens:
  separating  class separation grows with depth, then saturates (the usual SLS curve)
  dip         separation rises, collapses in the middle, recovers
  overlap     classes barely separate anywhere (the top layer's silhouette is <= 0: nothing is pruned)
  imbalanced  unequal classes, one of them a single point (silhouette scores singletons 0)
For every layer: sklearn silhouette / Calinski-Harabasz / Davies-Bouldin on the raw features, and
TSNE(n_components=2, init='pca', random_state=0) -> min-max scaled -> silhouette (SC_Index), with the
final KL divergence (sklearn's reported one and an exact recomputation from the embedding).
sklearn_spread_kl / sklearn_spread_sc: how far sklearn itself moves on that layer given a float64 copy of the
input, or angle 0.45 / 0.55 (the largest change), and variant_decisions the loop's decisions on those runs.
Also: sklearn's joint P (_joint_probabilities_nn) and PCA initialisation for one small set, and the
reference loop's decisions (DESIGN.md steps 4-6) on the SC curves and on hand-made hard curves.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.decomposition import PCA

import safetensors_io

MACHINE_EPSILON = np.finfo(np.double).eps


def feature_set(kind, layers=8, n=240, width=24, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    if kind == 'imbalanced':
        sizes = [150, 60, 29, 1]
        labels = np.repeat(np.arange(classes), sizes)
    else:
        labels = np.arange(n) % classes
    n = len(labels)
    centres = rng.normal(size=(classes, width))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    seps = {'separating': [0.1, 0.3, 0.8, 1.6, 2.6, 3.2, 3.4, 3.5],
            'dip': [0.2, 1.0, 2.5, 3.0, 0.4, 0.3, 2.0, 3.0],
            'overlap': [0.05, 0.1, 0.05, 0.15, 0.1, 0.05, 0.02, 0.0],
            'imbalanced': [0.2, 0.6, 1.2, 2.0, 2.5, 2.8, 3.0, 3.0]}[kind][:layers]
    feats = np.stack([centres[labels] * s * 3 + rng.normal(size=(n, width)) for s in seps]).astype(np.float32)
    return feats, labels


def kl_exact(P, Y):
    d = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    q = 1.0 / (1.0 + d)
    np.fill_diagonal(q, 0.0)
    Q = np.maximum(q / q.sum(), MACHINE_EPSILON)
    Pd = P.toarray()
    m = Pd > 0
    return float((Pd[m] * np.log(Pd[m] / Q[m])).sum())


def joint_p(X, perplexity=30.0):
    n = X.shape[0]
    k = min(n - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(algorithm='auto', n_neighbors=k, metric='euclidean')
    knn.fit(X)
    D = knn.kneighbors_graph(mode='distance')
    D.data **= 2
    return _joint_probabilities_nn(D, perplexity, 0)


def reference_loop(sc, alpha):
    """DESIGN.md steps 4-6, written from the description: returns the number of kept blocks."""
    n = len(sc)
    if sc[-1] <= 0:
        return n
    t = alpha * sc[-1]
    for i in range(n, 0, -1):          # layers N..1, 1-based
        if sc[i - 1] < t:
            return min(i + 1, n)       # keep 1..i+1
    return 1


def main(out):
    os.makedirs(out, exist_ok=True)
    tensors, meta = {}, {'sklearn': sklearn.__version__, 'sets': {}}
    for kind in ('separating', 'dip', 'overlap', 'imbalanced'):
        feats, labels = feature_set(kind)
        tensors[f'{kind}.feats'] = feats
        tensors[f'{kind}.labels'] = labels.astype(np.int64)
        rows = []
        variant_sc = [[], [], []]
        for l, X in enumerate(feats):
            tsne = TSNE(n_components=2, init='pca', random_state=0)
            Y = tsne.fit_transform(X)
            Yn = (Y - Y.min(0)) / (Y.max(0) - Y.min(0))
            P = joint_p(X)
            # sklearn's own spread: the same t-SNE with a float64 copy of the input, and with angle 0.45 / 0.55.
            spread_kl, spread_sc = 0.0, 0.0
            for v, (Xv, kw) in enumerate(((X.astype(np.float64), {}), (X, {'angle': 0.45}), (X, {'angle': 0.55}))):
                Yv = TSNE(n_components=2, init='pca', random_state=0, **kw).fit_transform(Xv)
                Yvn = (Yv - Yv.min(0)) / (Yv.max(0) - Yv.min(0))
                sc_v = float(silhouette_score(Yvn, labels))
                variant_sc[v].append(sc_v)
                spread_kl = max(spread_kl, abs(kl_exact(P, Yv.astype(np.float64)) / kl_exact(P, Y.astype(np.float64)) - 1))
                spread_sc = max(spread_sc, abs(sc_v - float(silhouette_score(Yn, labels))))
            X64, Yn64 = X.astype(np.float64), Yn.astype(np.float64)
            rows.append({
                # metrics on float64 copies: sklearn computes in the input dtype, SlsPrune in float64
                'silhouette': float(silhouette_score(X64, labels)),
                'calinski_harabasz': float(calinski_harabasz_score(X64, labels)),
                'davies_bouldin': float(davies_bouldin_score(X64, labels)),
                'tsne_kl_reported': float(tsne.kl_divergence_),
                'tsne_kl_exact': kl_exact(P, Y.astype(np.float64)),
                'tsne_iterations': int(tsne.n_iter_),
                'sc_index': float(silhouette_score(Yn, labels)),   # the reference's own float32 path
                'tsne_silhouette': float(silhouette_score(Yn64, labels)),
                'tsne_ch': float(calinski_harabasz_score(Yn64, labels)),
                'tsne_db': float(davies_bouldin_score(Yn64, labels)),
                'sklearn_spread_kl': spread_kl,
                'sklearn_spread_sc': spread_sc,
            })
            tensors[f'{kind}.tsne.{l}'] = Yn.astype(np.float32)
        sc = [r['sc_index'] for r in rows]
        meta['sets'][kind] = {'layers': rows, 'decisions': {str(a): reference_loop(sc, a) for a in (0.3, 0.5, 0.9)},
                              # decisions the reference loop reaches on sklearn's own variants' SC curves
                              'variant_decisions': {str(a): sorted({reference_loop(v, a) for v in variant_sc}) for a in (0.3, 0.5, 0.9)}}
        print(kind, [round(s, 3) for s in sc], meta['sets'][kind]['decisions'])

    # exact pieces on a small set: joint P and PCA initialisation
    feats, labels = feature_set('separating', layers=4, n=120, seed=3)
    X = feats[3]
    tensors['small.X'] = X
    tensors['small.labels'] = labels.astype(np.int64)
    tensors['small.P'] = joint_p(X).toarray().astype(np.float32)
    pca = PCA(n_components=2, svd_solver='randomized', random_state=0)
    Y0 = pca.fit_transform(X).astype(np.float32, copy=False)
    tensors['small.init'] = (Y0 / np.std(Y0[:, 0]) * 1e-4).astype(np.float32)
    tensors['small.P_perplexity5'] = joint_p(X, 5.0).toarray().astype(np.float32)

    hard = {
        'all_above': [0.5, 0.6, 0.7, 0.8],
        'top_nonpositive': [0.2, 0.3, 0.1, 0.0],
        'top_negative': [0.2, 0.3, 0.1, -0.05],
        'equal_to_threshold': [0.1, 0.3, 0.5, 1.0],     # alpha 0.3: layer 2 equals T and is kept
        'first_layer_only_low': [0.1, 0.9, 0.8, 0.9],
        'nonmonotone': [0.1, 0.5, 0.2, 0.6, 0.25, 0.7, 0.8],
        'last_two_low': [0.8, 0.7, 0.05, 0.02, 0.5],
    }
    meta['hard'] = {k: {'sc': v, 'decisions': {str(a): reference_loop(v, a) for a in (0.3, 0.5, 0.9)}} for k, v in hard.items()}

    safetensors_io.write(os.path.join(out, 'sls.safetensors'), tensors, {'sklearn': sklearn.__version__})
    with open(os.path.join(out, 'sls.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print('wrote', out)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/sls')
