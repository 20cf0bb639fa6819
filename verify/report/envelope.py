"""The validity envelope of a report: per estimator, dimension × true KL judged at one n.

The envelope's cells (:data:`divergence_verify.verify.design.ENVELOPE`: N(μ, I) vs N(0, I) in
d = 1 … 128 dimensions with KL 0.1 … 20 nats, every f-divergence depending on the pair through
the KL alone) are judged as the ladder's rungs are
(:func:`~divergence_verify.verify.report.summary.rung_of`: the 95% intervals of the error and
of the RMSE against ±tolerance and the RMSE allowance), so a cell is *within*, *borderline*
(the runs cannot tell) or *outside*. :class:`EnvelopeMap` lays one estimator's cells out as the
grid the report draws (:func:`~divergence_verify.verify.report.figures.envelope_map`) and
:func:`valid_to` reads off, per dimension, the largest KL up to which every cell is within.
Nothing heavy is imported here (the figure lives with the other figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from divergence_verify.verify.design import ENVELOPE, ENVELOPE_DIMS, ENVELOPE_KLS
from divergence_verify.verify.report.summary import Rung, Status


@dataclass(frozen=True)
class EnvelopeMap:
    """One estimator's envelope: its judged cells by (dimension, KL).

    Attributes
    ----------
    estimator : str
        The estimator's name.
    n : int
        The sample size per side every cell ran at.
    cells : dict
        ``(dimension, kl) -> Rung`` for every cell that ran (a cell not run is absent).
    """

    estimator: str
    n: int
    cells: dict[tuple[int, float], Rung]

    @property
    def dims(self) -> tuple[int, ...]:
        """The grid's dimensions that hold a cell, ascending."""
        return tuple(d for d in ENVELOPE_DIMS if any(k[0] == d for k in self.cells))

    @property
    def kls(self) -> tuple[float, ...]:
        """The grid's KL values that hold a cell, ascending."""
        return tuple(kl for kl in ENVELOPE_KLS if any(k[1] == kl for k in self.cells))

    def status(self, dim: int, kl: float) -> Status | None:
        """The cell's status, or None where the cell did not run."""
        cell = self.cells.get((dim, kl))
        return cell.status if cell else None

    def counts(self) -> dict[Status, int]:
        """How many cells are within, borderline and outside."""
        return {s: sum(c.status is s for c in self.cells.values())
                for s in (Status.WITHIN, Status.BORDERLINE, Status.OUTSIDE)}


def envelope_maps(cells: Sequence[Rung]) -> list[EnvelopeMap]:
    """Group judged envelope cells by estimator, in the order they first appear.

    Cells of scenarios outside :data:`ENVELOPE` are ignored (there are none in a report's
    envelope sweeps).
    """
    out: dict[str, dict[tuple[int, float], Rung]] = {}
    sizes: dict[str, int] = {}
    for cell in cells:
        if cell.scenario in ENVELOPE:
            out.setdefault(cell.estimator, {})[ENVELOPE[cell.scenario]] = cell
            sizes[cell.estimator] = cell.n
    return [EnvelopeMap(name, sizes[name], grid) for name, grid in out.items()]


def valid_to(grid: EnvelopeMap, dim: int) -> float | None:
    """The largest KL up to which every cell of dimension ``dim`` is within tolerance.

    Cells are read upwards from the smallest KL; the first that is not within (borderline,
    outside or not run) ends the valid range. None: the smallest KL is already not within.
    """
    top = None
    for kl in ENVELOPE_KLS:
        if grid.status(dim, kl) is not Status.WITHIN:
            break
        top = kl
    return top


def envelope_sentence(grid: EnvelopeMap) -> str:
    """One sentence: where the estimator is valid, per dimension, and the counts of the grid."""
    counts = grid.counts()
    reach = []
    for dim in grid.dims:
        top = valid_to(grid, dim)
        reach.append(f"d = {dim}: {'none' if top is None else f'KL ≤ {top:g}'}")
    return (f"Validity envelope at n = {grid.n}, the KL up to which every cell is within "
            "tolerance, per dimension: " + "; ".join(reach)
            + f". {counts[Status.WITHIN]} of {len(grid.cells)} cells within, "
            f"{counts[Status.BORDERLINE]} borderline, {counts[Status.OUTSIDE]} outside.")


def envelope_short(grid: EnvelopeMap) -> str:
    """The envelope in a table cell: the valid KL range, dimensions with the same range grouped."""
    groups: dict[float | None, list[str]] = {}
    for dim in grid.dims:
        groups.setdefault(valid_to(grid, dim), []).append(str(dim))
    if list(groups) == [None]:
        return f"envelope: valid in none of d = {', '.join(groups[None])}"
    return "envelope: " + "; ".join(
        f"{'none' if top is None else f'KL ≤ {top:g}'} in d = {', '.join(dims)}"
        for top, dims in groups.items())
