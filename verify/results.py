"""The result of a sweep: every run of one estimator on one scenario and divergence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from divergence_verify.reference import ExactValue
from divergence_verify.verify.jsonio import decode_float, decode_optional
from divergence_verify.verify.stats import SizeStats, SlopeFit, fit_rate, size_stats
from divergence_verify.verify.units import Record


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
    """Rebuild a :class:`Record` (from a sweep's JSON or a cache file): numbers decoded."""
    return Record(**{**data, "estimate": decode_optional(data["estimate"]),
                     "seconds": decode_float(data["seconds"])})
