"""What the commands share: run options as data, default folders, the device and thread policy.

The options of ``certify``, ``sweep`` and ``report`` that mean the same thing (device, cache,
quiet, sizes, seeds) are declared once here, as :class:`Option` records;
:mod:`divergence_verify.verify.cli`, the only user of argparse, turns them into arguments. This
module imports no torch at module level (the command line's ``--help`` must stay fast): the
device functions import it when called.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DEFAULT_CACHE = ".verify-cache"
"""Folder of cached runs (relative to the working directory), shared by every command."""

DEFAULT_OUT = "verify-out"
"""Folder under which ``certify`` and ``sweep`` write by default (see :func:`default_out`)."""

DEFAULT_REPORT_ROOT = "reports"
"""Parent folder of the reports written by ``report`` (``reports/<name>/``)."""

DEVICES = ("auto", "cpu", "cuda")
"""The device names the commands accept; ``auto`` is CUDA when present, else the CPU."""


@dataclass(frozen=True)
class Option:
    """One command-line option, as data (the command line turns it into an argparse argument).

    Attributes
    ----------
    flag : str
        The option, e.g. ``"--device"``; its destination is the name without dashes
        (``--no-cache`` → ``no_cache``).
    help : str
        One line; the command line may append what the default is for a command.
    default : object
        The value when the option is not given (None: the command's own default).
    type : callable, optional
        Converts the text (``int``); None keeps it a string. Ignored for a switch.
    many : bool
        Takes one or more values (``--sizes 250 500``).
    choices : tuple of str, optional
        The accepted values.
    switch : bool
        A flag without a value (``store_true``).
    metavar : str, optional
        The value's name in the help.
    """

    flag: str
    help: str
    default: Any = None
    type: Any = None
    many: bool = False
    choices: tuple[str, ...] | None = None
    switch: bool = False
    metavar: str | None = None

    @property
    def dest(self) -> str:
        """The attribute name of the parsed value (``--no-cache`` → ``no_cache``)."""
        return self.flag.lstrip("-").replace("-", "_")


DEVICE = Option("--device", "device of the neural estimators (default auto: CUDA when present)",
                default="auto", choices=DEVICES)
CACHE = Option("--cache", "folder of cached runs, so interrupted work resumes "
               f"(default {DEFAULT_CACHE})", default=DEFAULT_CACHE, metavar="FOLDER")
NO_CACHE = Option("--no-cache", "do not read or write the cache", default=False, switch=True)
QUIET = Option("--quiet", "no progress output", default=False, switch=True)
SIZES = Option("--sizes", "sample sizes per side", type=int, many=True, metavar="N")
SEEDS = Option("--seeds", "seeds per size", type=int, metavar="K")
WORKERS = Option("--workers", "worker processes on this machine; 1 runs everything in this "
                 "process (default: $DIVERGENCE_VERIFY_WORKERS, else one per core)",
                 type=int, metavar="N")
SCHEDULER = Option("--scheduler", "run on the Dask cluster of this scheduler "
                   "(tcp://HOST:8786) instead of local workers", metavar="ADDRESS")

SEED_BASE = Option("--seed-base", "seeds are BASE, BASE+1, ... and the fresh scenario instances "
                   "are drawn from BASE (default: $DIVERGENCE_VERIFY_SEED_BASE, else a random "
                   "base, printed and stored in the certificate)", type=int, metavar="BASE")
MAX_SEEDS = Option("--max-seeds", "sequential design: while the verdict is INCONCLUSIVE, double "
                   "the seeds per size up to K, every look at Bonferroni-corrected confidence "
                   "(default: one look)", type=int, metavar="K")
OPERATING_REPS = Option("--operating-reps", "simulated certificates per synthetic estimator for "
                        "the certificate's own operating characteristic (what this design can "
                        "see; 0 skips it, about 4 s at 200)", type=int, default=200, metavar="N")

RUN_OPTIONS = (SIZES, SEEDS, DEVICE, WORKERS, SCHEDULER, CACHE, NO_CACHE, QUIET)
"""The options every running command (certify, sweep, report) takes, in help order. ``--sizes``
and ``--seeds`` default to None: the command's own design (certify's and sweep's defaults, or
the report preset's)."""


def executor_for(workers: int | None, scheduler: str | None) -> Any:
    """Return where the runs of a command happen, from ``--workers`` and ``--scheduler``.

    A :class:`~divergence_verify.verify.executors.Workers` on the Dask cluster of
    ``scheduler``, else the number of local worker processes (default
    :func:`~divergence_verify.verify.executors.default_workers`), which
    :func:`~divergence_verify.verify.execution.run_sweeps` turns into a pool.

    Raises
    ------
    ValueError
        For both options at once, a count below 1, or a scheduler that cannot be reached.
    """
    from divergence_verify.verify import executors

    if scheduler is not None:
        if workers is not None:
            raise ValueError("--workers and --scheduler exclude each other: a Dask cluster's "
                             "workers are the ones its scheduler has")
        return executors.connect(scheduler)
    count = executors.default_workers() if workers is None else workers
    if count < 1:
        raise ValueError(f"--workers must be at least 1, got {count}")
    return count


def cache_folder(cache: str, no_cache: bool) -> str | None:
    """Return the cache folder the options ask for, or None for ``--no-cache``."""
    return None if no_cache else cache


def safe_name(text: str) -> str:
    """Return ``text`` as one path component: characters other than ``A-Za-z0-9._-`` become ``_``.

    An estimator given as ``mypkg.mod:my_kl`` names the folder ``mypkg.mod_my_kl``; a leading
    dot is replaced too, so the result is never hidden, ``.`` or ``..``.
    """
    out = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)
    return "_" + out[1:] if out.startswith(".") else out or "_"


def default_out(command: str, estimator: str, divergence: str) -> str:
    """Return the default output folder of a run: ``verify-out/<command>/<estimator>-<div>``.

    For instance ``verify-out/certify/knn-kl`` holds ``certificate.json`` of
    ``certify --estimator knn --divergence kl``.
    """
    return os.path.join(DEFAULT_OUT, command, safe_name(f"{estimator}-{divergence}"))


def resolve_device(device: str) -> str:
    """Return ``"cpu"`` or ``"cuda"`` for ``device`` in {auto, cpu, cuda}.

    The rule is the estimators' (:func:`divergence_verify.estimators.resolve_device`): ``auto``
    takes CUDA when ``torch.cuda.is_available()``, else the CPU.

    Raises
    ------
    ValueError
        For another name, or ``"cuda"`` without a CUDA device (the estimators' messages).
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected 'auto', 'cpu' or 'cuda'")
    from divergence_verify.estimators import resolve_device as resolve

    return resolve(device).type


@contextlib.contextmanager
def torch_threads(device: str) -> Iterator[None]:
    """Run torch's CPU kernels on one thread when ``device`` is the CPU, then restore the setting.

    The critics are tiny (thousands of weights, hundreds of rows per step), so intra-op threads
    cost more in synchronisation than they gain: one batch of 5 critics took 5 s on one thread
    and 25-60 s on two, on a 2-core machine shared with other work. On a GPU the setting is left
    alone.
    """
    import torch

    before = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def device_name(device: str) -> str:
    """Describe where runs happen: the GPU's name, or the CPU's cores and torch threads."""
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name()
    threads = torch.get_num_threads()
    return f"CPU, {os.cpu_count()} cores, {threads} torch thread{'' if threads == 1 else 's'}"


SAMPLE_COPIES = 3
"""Float64 copies of each sample a run holds at its peak: the sample as drawn, the estimator's
validated array, and its working arrays (neighbour trees, standardised copies, batches)."""


def run_bytes(n: int, dim: int, exact_w1_points: int | None = None) -> float:
    """Return the estimated peak bytes of one run at sample size ``n`` per side in dimension d.

    Two samples of ``n`` points, ``SAMPLE_COPIES`` float64 copies each:
    ``SAMPLE_COPIES * 2 * n * d * 8``; plus, for the exact W1 estimator on ``exact_w1_points``
    points per side, its LP (:func:`divergence_verify.reference.memory.lp_bytes`).
    """
    from divergence_verify.reference.memory import lp_bytes

    total = float(SAMPLE_COPIES) * 2 * n * dim * 8
    if exact_w1_points is not None:
        total += lp_bytes(exact_w1_points, exact_w1_points)
    return total


def check_sizes_fit(sizes: Any, dim: int, estimator: Any) -> None:
    """Raise ValueError, with the figures, if the largest size's run does not fit in memory.

    Checked before anything runs: ``--sizes 1000000000`` ran for 145 s until the kernel killed
    it at 22.7 GB. ``estimator`` is the resolved estimator: the exact W1 one (kind
    ``empirical_w1``) also needs its LP on ``min(n, max_points)`` points per side.
    """
    from divergence_verify.reference.memory import GIB, available_memory_bytes

    available = available_memory_bytes()
    if available is None or not sizes:
        return
    n = max(int(s) for s in sizes)
    lp_points = None
    if getattr(estimator, "kind", None) == "empirical_w1":
        cap = getattr(estimator, "max_points", None)
        lp_points = n if cap is None else min(n, int(cap))
    needed = run_bytes(n, dim, lp_points)
    if needed > available:
        what = " and the exact W1 LP" if lp_points is not None else ""
        raise ValueError(
            f"--sizes {n}: a run needs about {needed / GIB:.1f} GiB (samples in d = {dim}{what}),"
            f" but only {available / GIB:.1f} GiB is available; use smaller sizes"
        )
