"""PyTorch twin of dl's GRBM tutorial epoch for `npm run bench -- grbm`.

A GaussianBinaryRBM (grbm_type_1, nvis 192, nhid 400, learned scalar sigma with sigma_lr_scale 1e-3)
trained by denoising score matching (GaussianCorruptor stdev 0.4) with plain SGD, learning rate 0.1,
batch 5, sequential minibatches, over the patches in X_FILE (float32, rows of 192) — the way a
PyTorch user would write it: autograd of the SMD objective, one optimizer step per batch.

usage: python3 bench/torch_grbm.py X_FILE N_ROWS THREADS [DEVICE]
prints one JSON object: {"seconds": epoch wall time, "steps", "objective": last batch's J, "threads", "device"}
"""
import json
import sys
import time

import numpy as np
import torch


def main():
    path, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # Optional: where to run ("cuda" for `npm run bench -- gpu --torch`); the CPU by default.
    dev = torch.device(sys.argv[4] if len(sys.argv) > 4 else "cpu")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    X = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(n, 192)).to(dev)
    nvis, nhid, batch, lr, stdev, sigma_lr_scale = 192, 400, 5, 0.1, 0.4, 1e-3
    W = ((torch.rand(nvis, nhid, device=dev) * 2 - 1) * 0.05).requires_grad_()
    bias_vis = torch.zeros(nvis, device=dev, requires_grad=True)
    bias_hid = torch.full((nhid,), -2.0, device=dev, requires_grad=True)
    sigma_driver = torch.tensor(0.4 / sigma_lr_scale, device=dev, requires_grad=True)
    params = [W, bias_vis, bias_hid, sigma_driver]
    scales = [1.0, 1.0, 1.0, sigma_lr_scale]
    opt = torch.optim.SGD([{"params": [p], "lr": lr * s} for p, s in zip(params, scales)], lr=lr)
    J = torch.tensor(0.0)
    sync(dev)
    t0 = time.perf_counter()
    steps = 0
    for i in range(0, n - batch + 1, batch):
        x = X[i:i + batch]
        noisy = x + stdev * torch.randn_like(x)
        s2 = (sigma_driver * sigma_lr_scale) ** 2
        h = torch.sigmoid((bias_hid + noisy @ W) / s2)
        score = -(noisy - bias_vis - h @ W.t()) / s2
        J = ((score - (x - noisy) / stdev ** 2) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        J.backward()
        opt.step()
        with torch.no_grad():
            sigma_driver.clamp_(0.1 / sigma_lr_scale, 10 / sigma_lr_scale)
        steps += 1
    sync(dev)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "steps": steps, "objective": float(J), "threads": threads, "device": str(dev)}))


def sync(dev):
    """CUDA runs asynchronously: the epoch's time must include the device's work."""
    if dev.type == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
