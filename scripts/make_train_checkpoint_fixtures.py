#!/usr/bin/python3
"""Fixtures for reading checkpoints saved by timm's train script (issue 16).

Run with Debian's Python (python3-torch):
    /usr/bin/python3 scripts/make_train_checkpoint_fixtures.py tests/fixtures/training

timm's CheckpointSaver writes torch.save({'epoch', 'arch', 'state_dict', 'optimizer', 'version', 'args', 'metric'})
(plus 'state_dict_ema' with EMA), where 'args' is the script's argparse.Namespace. Writes, for a tiny model
(Linear(4, 6) -> GELU -> Linear(6, 3)), after one SGD step with momentum so the optimizer holds tensors:
  timm_train.pth.tar      that dict (args a real argparse.Namespace, optimizer.state_dict() of torch.optim.SGD)
  timm_train_plain.pth    torch.save(model.state_dict()): what the training checkpoint must read as
  timm_train_evil.pth.tar the same dict whose 'args' reduces to os.system (must be refused, never run)
  timm_train_object_in_state.pth.tar  a Namespace inside the state dict itself (must be refused)
"""
import argparse
import os
import sys

import torch


class Evil:
    def __reduce__(self):
        return (os.system, ('touch /tmp/sls-timm-args-pwned',))


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.GELU(), torch.nn.Linear(6, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(5, 4)).sum().backward()
    opt.step()
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='vit_tiny_patch16_224')
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--mean', type=float, nargs=3, default=None)
    parser.add_argument('--amp', action='store_true')
    args = parser.parse_args(['--mean', '0.5', '0.5', '0.5'])
    state = model.state_dict()
    ckpt = {'epoch': 2, 'arch': 'vit_tiny_patch16_224', 'state_dict': state, 'optimizer': opt.state_dict(),
            'version': 2, 'args': args, 'metric': 71.5}
    torch.save(ckpt, os.path.join(out, 'timm_train.pth.tar'))
    torch.save(state, os.path.join(out, 'timm_train_plain.pth'))
    torch.save({**ckpt, 'args': Evil()}, os.path.join(out, 'timm_train_evil.pth.tar'))
    bad = dict(state)
    bad['args'] = args
    torch.save({**ckpt, 'state_dict': bad}, os.path.join(out, 'timm_train_object_in_state.pth.tar'))
    for f in sorted(os.listdir(out)):
        if f.startswith('timm_train'):
            size = os.path.getsize(os.path.join(out, f))
            assert size < 150_000, (f, size)
            print(f'{os.path.join(out, f)}: {size} bytes')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'tests/fixtures/training')
