#!/usr/bin/python3
"""Reference fixture for SlsPrune's min-max scaling of t-SNE embeddings: scikit-learn's MinMaxScaler.

Run with Debian's Python (python3-sklearn, python3-numpy):
    /usr/bin/python3 scripts/make_minmax_fixtures.py tests/fixtures/minmax

Writes minmax.safetensors, float64 throughout: for each case an input '<case>.x' [n, d] and
MinMaxScaler().fit_transform of it, '<case>.expected' (feature range (0, 1), each column on its own).
  mixed      20 x 6: a normal column, a constant column (3.25), a wide negative column (~ -5000 +- 1e4),
             a column of only two values (ties at both ends), a constant-zero column, a constant negative column
  embedding  60 x 2 shaped like a t-SNE embedding (what SlsPrune scales before the silhouette)
  one_row    1 x 3: a single sample, so every column is constant
sklearn maps a constant column to 0 (its range is replaced by 1); the script checks that it did.
"""
import os
import sys

import numpy as np
import sklearn
from sklearn.preprocessing import MinMaxScaler

import safetensors_io


def cases():
    rng = np.random.default_rng(7)
    n = 20
    mixed = np.stack([
        rng.normal(size=n),
        np.full(n, 3.25),
        rng.normal(size=n) * 1e4 - 5e3,
        np.where(rng.random(n) < 0.5, -1.5, 2.0),
        np.zeros(n),
        np.full(n, -7.5),
    ], axis=1)
    embedding = rng.normal(size=(60, 2)) * np.array([30.0, 12.0]) + np.array([-4.0, 9.0])
    one_row = np.array([[1.5, -2.0, 0.0]])
    return {'mixed': (mixed, [1, 4, 5]), 'embedding': (embedding, []), 'one_row': (one_row, [0, 1, 2])}


def main(out):
    os.makedirs(out, exist_ok=True)
    arrays = {}
    for name, (x, constant) in cases().items():
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = MinMaxScaler().fit_transform(x)
        assert y.dtype == np.float64
        for c in range(x.shape[1]):
            if c in constant:
                assert np.all(y[:, c] == 0.0), (name, c)
            else:
                assert y[:, c].min() == 0.0 and abs(y[:, c].max() - 1.0) < 1e-15, (name, c)
        arrays[f'{name}.x'] = x
        arrays[f'{name}.expected'] = y
        print(name, x.shape, 'constant columns', constant)
    safetensors_io.write(os.path.join(out, 'minmax.safetensors'), arrays, {'sklearn': sklearn.__version__})
    print('wrote', out)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/minmax')
