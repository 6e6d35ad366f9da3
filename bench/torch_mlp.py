"""PyTorch twin of dl's MLP epoch for `npm run bench -- mlp`.

MLP 784-500-500-10 (ReLU, ReLU, softmax), softmax negative log-likelihood, SGD learning rate 0.01
with momentum 0.5, batch 100, sequential minibatches over the images in X_FILE (float32 rows of 784
in [0, 1]) with labels in Y_FILE (int32).

usage: python3 bench/torch_mlp.py X_FILE Y_FILE N_ROWS THREADS [DEVICE]
prints one JSON object: {"seconds": epoch wall time, "steps", "nll": last batch's loss, "threads", "device"}
"""
import json
import sys
import time

import numpy as np
import torch


def main():
    xpath, ypath, n, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    # Optional: where to run ("cuda" for `npm run bench -- gpu --torch`); the CPU by default.
    dev = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    X = torch.from_numpy(np.fromfile(xpath, dtype=np.float32).reshape(n, 784)).to(dev)
    y = torch.from_numpy(np.fromfile(ypath, dtype=np.int32).astype(np.int64)).to(dev)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 500), torch.nn.ReLU(),
        torch.nn.Linear(500, 500), torch.nn.ReLU(),
        torch.nn.Linear(500, 10),
    ).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    loss_fn = torch.nn.CrossEntropyLoss()
    loss = torch.tensor(0.0)
    sync(dev)
    t0 = time.perf_counter()
    steps = 0
    for i in range(0, n - 100 + 1, 100):
        loss = loss_fn(model(X[i:i + 100]), y[i:i + 100])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
    sync(dev)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "steps": steps, "nll": float(loss), "threads": threads, "device": str(dev)}))


def sync(dev):
    """CUDA runs asynchronously: the epoch's time must include the device's work."""
    if dev.type == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
