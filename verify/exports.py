"""Every run of some sweeps as one table: rows of plain values, a CSV file, a pandas DataFrame.

One row per run (:data:`RUN_COLUMNS`), the same in all three forms:

============  ===================================================================
column        value
============  ===================================================================
estimator     the estimator's name
divergence    the quantity estimated
scenario      the scenario's name
truth         the exact value
n             sample size per side
seed          the run's seed
estimate      the estimate (empty/NaN when the run failed)
error         estimate − truth (empty/NaN when the run failed)
seconds       wall time of the run
failure       why the run failed (the record's ``error``: an exception, ``non-finite``)
batched       whether it ran in a batch (``estimate_many``)
seeding       how the seed reached the estimator (:mod:`divergence_verify.estimators.hooks`)
printed       whether the run printed or warned (the text is in the JSON records only)
============  ===================================================================

Captured output never enters the table. The command line writes ``runs.csv`` next to its
JSON (``certificate.json``, ``sweep.json``). In the CSV a missing or NaN number is an empty
field and the infinities are ``inf`` and ``-inf``; pandas is an optional extra
(``pip install 'divergence-verify[pandas]'``) needed only by :func:`runs_frame`.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from divergence_verify.verify.jsonio import write_text_atomic

if TYPE_CHECKING:
    import pandas as pd

    from divergence_verify.verify.results import SweepResult

__all__ = ["RUN_COLUMNS", "runs_frame", "runs_rows", "write_runs_csv"]

RUN_COLUMNS = ("estimator", "divergence", "scenario", "truth", "n", "seed", "estimate", "error",
               "seconds", "failure", "batched", "seeding", "printed")
"""The columns of a runs table, in order (module docstring)."""

PANDAS_HINT = "pip install 'divergence-verify[pandas]'"
"""How to get pandas, in the error :func:`runs_frame` raises without it."""


def runs_rows(results: Sequence[SweepResult]) -> list[dict[str, Any]]:
    """Return one dict per run of ``results``, keyed by :data:`RUN_COLUMNS`, in record order.

    Numbers are Python floats and ints; ``estimate`` and ``error`` are None for a run that
    raised (NaN when it returned NaN), ``failure`` and ``seeding`` None when unset.
    """
    rows = []
    for result in results:
        truth = result.truth.value
        for r in result.records:
            rows.append({
                "estimator": result.estimator, "divergence": result.divergence,
                "scenario": result.scenario, "truth": truth, "n": r.n, "seed": r.seed,
                "estimate": r.estimate,
                "error": None if r.estimate is None else r.estimate - truth,
                "seconds": r.seconds, "failure": r.error, "batched": r.batched,
                "seeding": r.seeding, "printed": r.printed,
            })
    return rows


def _cell(value: Any) -> Any:
    """A CSV field: '' for None and NaN, 'inf'/'-inf', a float's shortest exact text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # 'inf', '-inf', or the shortest text that reads back exactly
    return value


def write_runs_csv(path: str | os.PathLike[str], results: Sequence[SweepResult]) -> Path:
    """Write :func:`runs_rows` of ``results`` as CSV to ``path`` atomically; return the path.

    A header row of :data:`RUN_COLUMNS`, then one row per run (the module docstring says how
    numbers are written). The folder must exist; the file is replaced in one step
    (:func:`~divergence_verify.verify.jsonio.write_text_atomic`), never left half written.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RUN_COLUMNS)
    for row in runs_rows(results):
        writer.writerow([_cell(row[c]) for c in RUN_COLUMNS])
    write_text_atomic(path, buffer.getvalue())
    return Path(path)


def runs_frame(results: Sequence[SweepResult]) -> pd.DataFrame:
    """Return :func:`runs_rows` of ``results`` as a pandas DataFrame.

    ``estimate`` and ``error`` are float columns (NaN for a failed run).

    Raises
    ------
    ImportError
        If pandas is not installed, saying how to install it.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(f"to_frame() needs pandas: {PANDAS_HINT}") from None
    frame = pd.DataFrame(runs_rows(results), columns=list(RUN_COLUMNS))
    return frame.astype({"truth": "float64", "estimate": "float64", "error": "float64",
                         "seconds": "float64"})
