"""The calibration and training lists of a VTAB-1k task folder as the reference scripts read them (shared by
bench/reference_pipeline.py and bench/train_reference.py): VTAB-1k's ImageFilelist, `path label` per line relative to
the task folder; each image opened with PIL, converted to RGB, resized bicubic to `size` and normalised with the
ImageNet mean and standard deviation, as the SLS and PETL reference code do.
"""
import os

import numpy as np
import torch
from PIL import Image

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class ListDataset(torch.utils.data.Dataset):
    """VTAB-1k's ImageFilelist: `path label` per line, relative to the task folder."""

    def __init__(self, root, listfile, size):
        self.root, self.size = root, size
        with open(os.path.join(root, listfile)) as f:
            self.items = [(p, int(c)) for p, c in (line.split() for line in f if line.strip())]
        self.mean = torch.tensor(MEAN).view(3, 1, 1)
        self.std = torch.tensor(STD).view(3, 1, 1)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        im = Image.open(os.path.join(self.root, path)).convert('RGB').resize((self.size, self.size), Image.BICUBIC)
        x = torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (x - self.mean) / self.std, label
