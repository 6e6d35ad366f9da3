"""PyTorch's SGEMM figure for `npm run bench -- gemm`, measured the way src/bench/timing.ts
measures dl's kernels: warm-up, then 7 batches of calls of >= 0.1 s each, median batch.

usage: python3 bench/torch_gemm.py THREADS QUICK(0|1) M,K,N [M,K,N ...]
prints one JSON object per shape: {"m", "k", "n", "threads", "gflops", "best_gflops"},
then one {"blas": ...} line naming the BLAS library torch runs on.
"""
import json
import sys
import time

import torch


def time_calls(fn, warmup, batches, batch_seconds):
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < warmup or calls < 2:
        fn()
        calls += 1
    per_call = (time.perf_counter() - t0) / calls
    reps = max(1, int(batch_seconds / per_call + 0.999))
    times = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) / reps)
    times.sort()
    return times[len(times) // 2], times[0]


def blas_library():
    # the shared objects this process mapped: tells OpenBLAS from reference BLAS or MKL
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                name = line.split()[-1] if len(line.split()) >= 6 else ""
                if any(s in name for s in ("blas", "mkl", "lapack")):
                    libs.add(name)
    except OSError:
        pass
    return sorted(libs)


def main():
    threads = int(sys.argv[1])
    quick = sys.argv[2] == "1"
    torch.set_num_threads(threads)
    warmup, batches, batch_seconds = (0.05, 3, 0.02) if quick else (0.3, 7, 0.1)
    for shape in sys.argv[3:]:
        m, k, n = (int(v) for v in shape.split(","))
        g = torch.Generator().manual_seed(0)
        a = torch.rand(m, k, generator=g)
        b = torch.rand(k, n, generator=g)
        c = torch.empty(m, n)
        med, best = time_calls(lambda: torch.mm(a, b, out=c), warmup, batches, batch_seconds)
        flops = 2.0 * m * k * n
        print(json.dumps({"m": m, "k": k, "n": n, "threads": torch.get_num_threads(),
                          "gflops": flops / med / 1e9, "best_gflops": flops / best / 1e9}), flush=True)
    print(json.dumps({"blas": blas_library(), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
