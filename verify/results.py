"""The result of a sweep: every run of one estimator on one scenario and divergence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from divergence_verify.reference import ExactValue
from divergence_verify.verify.jsonio import decode_float, decode_optional
from divergence_verify.verify.stats import SizeStats, SlopeFit, fit_rate, size_stats
from divergence_verify.verify.units import Record

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class SweepResult:
    """Every run of one estimator on one scenario and divergence, with its summaries."""

    estimator: str
    config: dict[str, Any]
    scenario: str
    divergence: str
    truth: ExactValue
    records: list[Record] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    device: str = "cpu"
    cached_runs: int = field(default=0, compare=False)
    """Runs read from the cache rather than computed (not serialised: it describes this
    execution, not the results)."""

    @property
    def sizes(self) -> list[int]:
        """The sample sizes, ascending."""
        return sorted({r.n for r in self.records})

    def per_size(self, confidence: float = 0.95) -> list[SizeStats]:
        """Return :class:`~verify.stats.SizeStats` for each sample size."""
        out = []
        for n in self.sizes:
            runs = [r for r in self.records if r.n == n]
            good = [r for r in runs if r.ok]
            out.append(size_stats(
                n, [r.estimate for r in good], self.truth.value,
                [r.seconds for r in good], failures=len(runs) - len(good), confidence=confidence,
            ))
        return out

    def rate(self) -> SlopeFit:
        """Fit the log-log slope of RMSE against n."""
        rows = self.per_size()
        return fit_rate([s.n for s in rows], [s.rmse for s in rows])

    @property
    def seeding(self) -> list[str]:
        """How the seeds reached the estimator, sorted: each method its runs used.

        See :mod:`divergence_verify.estimators.hooks`; records cached by an older version,
        which do not say, are left out.
        """
        return sorted({r.seeding for r in self.records if r.seeding is not None})

    @property
    def printed_runs(self) -> int:
        """How many runs printed or warned (their text is in the records, not in tables)."""
        return sum(r.printed for r in self.records)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per run as a pandas DataFrame (the columns of ``runs.csv``).

        See :func:`~divergence_verify.verify.exports.runs_rows`.

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install 'divergence-verify[pandas]'``).
        """
        from divergence_verify.verify.exports import runs_frame

        return runs_frame([self])

    def to_dict(self) -> dict[str, Any]:
        """Configuration, truth, every record and the summaries, as plain Python values.

        Floats are left as they are (NaN and infinities included): the writers encode them under
        the suite's JSON policy (:func:`divergence_verify.verify.jsonio.write_json_atomic`).
        """
        return {
            "estimator": self.estimator,
            "config": self.config,
            "scenario": self.scenario,
            "divergence": self.divergence,
            "truth": asdict(self.truth),
            "device": self.device,
            "versions": self.versions,
            "seeding": self.seeding,
            "printed_runs": self.printed_runs,
            "records": [asdict(r) for r in self.records],
            "per_size": [s.to_dict() for s in self.per_size()],
            "rate": self.rate().to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepResult:
        """Rebuild from :meth:`to_dict` output, as is or read back from JSON.

        Numbers encoded by the JSON policy (``"inf"``, ``"-inf"``, ``null``) are decoded; the
        summaries are recomputed from the records.
        """
        truth = data["truth"]
        return cls(
            estimator=data["estimator"], config=data["config"], scenario=data["scenario"],
            divergence=data["divergence"],
            truth=ExactValue(decode_float(truth["value"]), decode_float(truth["error"]),
                             truth["method"]),
            records=[record_from_dict(r) for r in data["records"]],
            versions=data.get("versions", {}), device=data.get("device", "cpu"),
        )


def record_from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a :class:`Record` (from a sweep's JSON or a cache file): numbers decoded.

    A field the record's writer did not know (one written by an older version: ``seeding``,
    ``stdout``, ``stderr``, ``warnings``) takes its default.
    """
    return Record(**{**data, "estimate": decode_optional(data["estimate"]),
                     "seconds": decode_float(data["seconds"]),
                     "warnings": tuple(data.get("warnings", ()))})
