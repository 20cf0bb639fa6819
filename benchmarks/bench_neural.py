"""Benchmark of the neural critics: batched ensembles, f-GAN KL accuracy and time, naive baseline.

Scenario throughout: P = N(mu, I_10), Q = N(0, I_10), |mu|^2 = 1, so KL(P||Q) = |mu|^2 / 2 = 0.5.

Sections (``--sections``, default all):

* ``ensemble``: 16 critics trained as one batched model (``estimate_many``) against the same 16
  seeds and samples trained one after another (``estimate``); wall time, throughput ratio,
  accuracy of both and their largest difference.
* ``accuracy``: ``fgan`` KL with default settings at n = 10,000 per side, with one held-out split
  and with 5-fold cross-fitting (``--folds``): time, bias, SD and |error| over seeds.
* ``naive``: the naive recipe (2 x 128 ReLU MLP with raw output, Adam 1e-3, batch 512, 2000 steps
  of E_P[T] - E_Q[exp(T - 1)], no early stopping, held-out value of the last critic) against
  ``fgan`` KL on the same 8,000 / 2,000 split sizes.

Medians over repeats are quoted. Run: ``python benchmarks/bench_neural.py [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from typing import Any

import numpy as np
import torch

from divergence_verify.estimators.variational import FGANEstimator

DIM = 10
TRUE_KL = 0.5


def gaussian_pair(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return n draws each of P = N(mu, I) and Q = N(0, I), |mu|^2 = 2 KL, in 10 dimensions."""
    rng = np.random.default_rng(seed)
    mu = np.full(DIM, math.sqrt(2 * TRUE_KL / DIM))
    return rng.standard_normal((n, DIM)) + mu, rng.standard_normal((n, DIM))


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench_ensemble(members: int, n: int, repeats: int) -> dict[str, Any]:
    pairs = [gaussian_pair(n, 100 + e) for e in range(members)]
    x_p = np.stack([p for p, _ in pairs])
    x_q = np.stack([q for _, q in pairs])
    seeds = list(range(members))
    t_seq, t_batch = [], []
    steps_seq = steps_batch = 0
    for _ in range(repeats):  # interleaved, so background load hits both alike

        def sequential() -> tuple[np.ndarray, int]:
            out, steps = [], 0
            for e in seeds:
                est = FGANEstimator("kl", seed=e)
                out.append(est.estimate(x_p[e], x_q[e]))
                steps += est.last_details["steps_run"][0]
            return np.array(out), steps

        (seq, steps_seq), dt = timed(sequential)
        t_seq.append(dt)
        est = FGANEstimator("kl")
        batch, dt = timed(lambda est=est: est.estimate_many(x_p, x_q, seeds=seeds))
        t_batch.append(dt)
        steps_batch = sum(est.last_details["steps_run"])
    med_seq, med_batch = statistics.median(t_seq), statistics.median(t_batch)
    return {
        "members": members,
        "n_per_side": n,
        "repeats": repeats,
        "sequential_s_median": med_seq,
        "batched_s_median": med_batch,
        "throughput_ratio": med_seq / med_batch,
        "sequential_member_steps": steps_seq,
        "batched_member_steps": steps_batch,
        "sequential_mean_error": float(np.mean(seq - TRUE_KL)),
        "batched_mean_error": float(np.mean(batch - TRUE_KL)),
        "sequential_sd": float(np.std(seq, ddof=1)),
        "batched_sd": float(np.std(batch, ddof=1)),
        "max_abs_difference": float(np.max(np.abs(seq - batch))),
    }


def bench_accuracy(n: int, seeds: int, folds: int) -> dict[str, Any]:
    times, errors, steps = [], [], []
    for s in range(seeds):
        x_p, x_q = gaussian_pair(n, 200 + s)
        est = FGANEstimator("kl", seed=s, folds=folds)
        value, dt = timed(lambda est=est, x_p=x_p, x_q=x_q: est.estimate(x_p, x_q))
        times.append(dt)
        errors.append(value - TRUE_KL)
        steps.append(sum(est.last_details["steps_run"]))
    return {
        "n_per_side": n,
        "folds": folds,
        "seeds": seeds,
        "time_s_median": statistics.median(times),
        "time_s_max": max(times),
        "bias": statistics.mean(errors),
        "sd": statistics.stdev(errors),
        "abs_error_median": statistics.median(abs(e) for e in errors),
        "abs_error_max": max(abs(e) for e in errors),
        "critic_steps_median": statistics.median(steps),
    }


def naive_critic(x_p: np.ndarray, x_q: np.ndarray, seed: int) -> float:
    """The issue's naive recipe; returns the last critic's held-out f-GAN KL objective."""
    torch.manual_seed(seed)
    n_tr = 8 * len(x_p) // 10
    p = torch.as_tensor(x_p, dtype=torch.float32)
    q = torch.as_tensor(x_q, dtype=torch.float32)
    net = torch.nn.Sequential(
        torch.nn.Linear(DIM, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 1),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(2000):
        tp = net(p[torch.randint(n_tr, (512,))])
        tq = net(q[torch.randint(n_tr, (512,))])
        loss = -(tp.mean() - torch.exp(tq - 1).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(net(p[n_tr:]).mean() - torch.exp(net(q[n_tr:]) - 1).mean())


def bench_naive(seeds: int) -> dict[str, Any]:
    naive, ours = [], []
    for s in range(seeds):
        x_p, x_q = gaussian_pair(10_000, 300 + s)
        naive.append(naive_critic(x_p, x_q, s))
        ours.append(FGANEstimator("kl", seed=s).estimate(x_p, x_q))
    return {
        "seeds": seeds,
        "naive_median": statistics.median(naive),
        "naive_values": naive,
        "fgan_median": statistics.median(ours),
        "fgan_values": ours,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", nargs="+", default=["ensemble", "accuracy", "naive"])
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--ensemble-n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--folds", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()

    # Timings on a shared machine: record its load so that contended runs can be recognised.
    results: dict[str, Any] = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "loadavg_1min_start": os.getloadavg()[0],
    }
    if "ensemble" in args.sections:
        results["ensemble"] = bench_ensemble(args.members, args.ensemble_n, args.repeats)
    for folds in args.folds if "accuracy" in args.sections else []:
        results[f"accuracy_folds{folds}"] = bench_accuracy(10_000, args.seeds, folds)
    if "naive" in args.sections:
        results["naive"] = bench_naive(min(args.seeds, 3))

    results["loadavg_1min_end"] = os.getloadavg()[0]
    print(
        f"torch {results['torch']}, {results['threads']} threads, load average "
        f"{results['loadavg_1min_start']:.2f} -> {results['loadavg_1min_end']:.2f}"
    )
    for section, table in results.items():
        if isinstance(table, dict):
            print(f"\n[{section}]")
            for key, value in table.items():
                shown = f"{value:.4g}" if isinstance(value, float) else value
                print(f"  {key:<28} {shown}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
