"""What a report runs: the presets, as data.

This module imports only the standard library and :mod:`divergence_verify.verify.design` (itself
standard library only), so that the command line can offer ``--preset`` choices without loading
the estimators. :func:`custom_preset` builds the preset of a report of the user's own estimators
beside built-in baselines (``report --estimator``); it checks its names when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from divergence_verify.verify.design import (
    DEFAULT_SCENARIOS,
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    ENVELOPE,
    LADDER,
    W1,
)


@dataclass(frozen=True)
class Entry:
    """One estimator of a preset and the scenarios it is swept on.

    Attributes
    ----------
    kind : str
        Registry key (:data:`estimators.ESTIMATORS`), or, for a user's estimator, a
        ``module:attr`` reference (:func:`divergence_verify.verify.resolve.resolve_estimator`).
    divergence : str
        The quantity estimated.
    scenarios : tuple of str
        Scenario names (:data:`verify.scenarios.SCENARIOS`).
    settings : dict
        Keyword settings of the estimator (JSON values); ``device`` is added for neural kinds.
    role : {None, "yours", "baseline"}
        In a report of the user's estimators (:func:`custom_preset`): :data:`YOURS` for theirs,
        :data:`BASELINE` for a built-in one run beside it; None in the built-in presets.
    """

    kind: str
    divergence: str
    scenarios: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    role: str | None = None

    @property
    def label(self) -> str:
        """The name the estimator reports: ``kind[divergence]``, or the ``module:attr`` itself."""
        return self.kind if ":" in self.kind else f"{self.kind}[{self.divergence}]"


@dataclass(frozen=True)
class Preset:
    """What a report runs.

    Attributes
    ----------
    name : str
        Key of :data:`PRESETS` and default report folder name.
    description : str
        One line for the report's header.
    sizes : tuple of int
        Sample sizes per side of every sweep; the ladder runs at the largest.
    seeds : int
        Seeds per size (0 .. seeds-1).
    entries : tuple of Entry
        The sweeps.
    ladder : tuple of Entry
        KL estimators run on every rung of :data:`LADDER`.
    envelope : tuple of Entry
        Estimators run on every cell of the validity envelope (:data:`ENVELOPE`: dimension
        1 to 128 by KL 0.1 to 20 nats), like the ladder at the largest size.
    """

    name: str
    description: str
    sizes: tuple[int, ...]
    seeds: int
    entries: tuple[Entry, ...]
    ladder: tuple[Entry, ...] = ()
    envelope: tuple[Entry, ...] = ()


# Training budget of the neural critics in the CPU preset, so that the whole report fits in a
# few minutes on two cores. It is the budget being judged, and the report shows these settings
# beside every verdict. Measured (default preset, 2-core CPU, one thread): with every default
# the report took 8 min (18 of 22 pairs pass); with 400 steps and batch 256 for every critic
# 1.8 min, but the f-GAN/DV critics were then under-trained on the mixture (f-GAN TV error
# -0.035, KL -0.10 at n = 4000). Half their step budget (early stopping ends most runs sooner)
# keeps them within tolerance there but for KL (-0.030 against 0.028: weight decay's bias,
# see estimators.neural), and the W1 critic passes on the reduced budget.
_CPU_CRITIC = {"steps": 1000}
_CPU_W1_CRITIC = {"steps": 400, "batch_size": 256}
_KL = DEFAULT_SCENARIOS["kl"]
_ENVELOPE = tuple(ENVELOPE)

_CLASSICAL = (
    Entry("knn", "kl", _KL),
    Entry("classifier", "kl", _KL, {"expectation": "p"}),  # the form its docstring advises for KL
    Entry("empirical_w1", W1, DEFAULT_SCENARIOS[W1]),
    Entry("plugin", "kl", ("bernoulli", "categorical-nested")),
)
"""The cheap estimators of the default and full presets: kNN and the classifier on the default KL
scenarios, the empirical W1 on the W1 ones, the plug-in on two discrete pairs."""


PRESETS: dict[str, Preset] = {
    "smoke": Preset(
        "smoke", "seconds: a tiny run of every stage (tests and CI), not evidence of anything",
        sizes=(100, 200, 400), seeds=2,
        entries=(
            Entry("knn", "kl", ("gauss2d-kl0.5", "mixture1d")),
            Entry("empirical_w1", W1, ("translate2d",)),
            Entry("fgan", "js", ("gauss2d-kl0.5",),
                  {"steps": 20, "hidden": [8], "batch_size": 64, "eval_every": 10}),
        ),
        ladder=(Entry("knn", "kl", LADDER),),
        envelope=(Entry("knn", "kl", ("envelope-d1-kl0.1", "envelope-d8-kl1")),),
    ),
    # The certificate's sizes (a 16-fold range) with 6 seeds: a predicted slope standard error
    # of 0.13, within Rules.max_slope_se = 0.15. Neural critics train a fixed number of steps, so
    # n = 4000 costs them about what n = 2000 does.
    "default": Preset(
        "default", "CPU, about 8 minutes on 2 cores: every built-in kind on the default "
        "scenarios (neural critics with a reduced training budget), the ladder, and the "
        "validity envelope of knn and fgan[kl]",
        sizes=DEFAULT_SIZES, seeds=6,
        entries=(
            *_CLASSICAL,
            *(Entry("fgan", div, DEFAULT_SCENARIOS[div], _CPU_CRITIC)
              for div in ("kl", "js", "tv")),
            Entry("dv", "kl", _KL, _CPU_CRITIC),
            Entry("w1_critic", W1, DEFAULT_SCENARIOS[W1], _CPU_W1_CRITIC),
        ),
        ladder=(Entry("knn", "kl", LADDER), Entry("fgan", "kl", LADDER, _CPU_CRITIC),
                Entry("dv", "kl", LADDER, _CPU_CRITIC)),
        # The envelope's 25 cells for the cheapest KL estimator and one neural critic, so that
        # the report stays under 8 minutes on two cores; the full preset maps every KL estimator.
        envelope=(Entry("knn", "kl", _ENVELOPE), Entry("fgan", "kl", _ENVELOPE, _CPU_CRITIC)),
    ),
    "full": Preset(
        "full", "certification run (GPU advised): the certificate's sizes and seeds, every "
        "default scenario, neural critics with their default training budget",
        sizes=DEFAULT_SIZES, seeds=DEFAULT_SEEDS,
        entries=(
            *_CLASSICAL,
            *(Entry("fgan", div, DEFAULT_SCENARIOS[div])
              for div in ("kl", "reverse_kl", "js", "tv", "hellinger", "chi2")),
            Entry("dv", "kl", _KL),
            Entry("nwj", "kl", _KL),
            Entry("w1_critic", W1, DEFAULT_SCENARIOS[W1]),
        ),
        ladder=(Entry("knn", "kl", LADDER), Entry("fgan", "kl", LADDER), Entry("dv", "kl", LADDER),
                Entry("nwj", "kl", LADDER), Entry("classifier", "kl", LADDER)),
        envelope=(Entry("knn", "kl", _ENVELOPE), Entry("fgan", "kl", _ENVELOPE),
                  Entry("dv", "kl", _ENVELOPE), Entry("nwj", "kl", _ENVELOPE),
                  Entry("classifier", "kl", _ENVELOPE)),
    ),
}
"""The report presets, by name."""

PRESET_NAMES: tuple[str, ...] = tuple(sorted(PRESETS))
"""The names of :data:`PRESETS`, sorted: the command line's ``--preset`` choices."""


YOURS = "yours"
"""The role of a user's estimator in a report of their estimators (:attr:`Entry.role`)."""
BASELINE = "baseline"
"""The role of a built-in estimator run beside them."""

DEFAULT_BASELINES: dict[str, tuple[str, ...]] = {
    **{div: ("knn", "classifier") for div in ("kl", "reverse_kl", "jeffreys", "hellinger",
                                              "chi2")},
    **{div: ("classifier", "fgan") for div in ("js", "tv", "gan")},
    W1: ("empirical_w1", "w1_critic"),
}
"""The baselines of ``report --estimator`` when none are named, per divergence: the two cheapest
built-in kinds that estimate it (for JS, TV and GAN the classifier is the only cheap one, so the
f-GAN critic joins it; for W1 the exact empirical W1 and the W1 critic)."""

_BASELINE_SETTINGS: dict[str, dict[str, Any]] = {
    "fgan": _CPU_CRITIC, "dv": _CPU_CRITIC, "nwj": _CPU_CRITIC, "w1_critic": _CPU_W1_CRITIC,
}


def baseline_settings(kind: str, divergence: str) -> dict[str, Any]:
    """Return the settings a baseline runs with: the default preset's for its kind.

    The neural critics get the CPU preset's training budget, the classifier estimating KL its
    expectation under P; every other kind its defaults.
    """
    if kind == "classifier" and divergence == "kl":
        return {"expectation": "p"}
    return dict(_BASELINE_SETTINGS.get(kind, {}))


def custom_preset(
    estimators: Sequence[str],
    divergence: str | None,
    scenarios: Sequence[str] | None = None,
    baselines: Sequence[str] | None = None,
    settings: dict[str, Any] | None = None,
) -> Preset:
    """The preset of a report of the user's estimators beside built-in baselines.

    Every estimator, the user's and the baselines, runs on the same scenarios with the default
    preset's sizes and seeds, so all of them see the same samples (a run's samples depend on
    the scenario, n and seed alone) and their errors can be paired; each also runs on the
    ladder (:data:`LADDER`) at the largest size, and the user's estimators on the validity
    envelope (:data:`ENVELOPE`) too, when every rung (cell) has a finite value of the
    divergence.

    Parameters
    ----------
    estimators : sequence of str
        The user's estimators: ``module:attr`` references or registry kinds.
    divergence : str
        The quantity they estimate (required).
    scenarios : sequence of str, optional
        Default: :data:`DEFAULT_SCENARIOS` of the divergence.
    baselines : sequence of str, optional
        Built-in kinds run beside them; None: :data:`DEFAULT_BASELINES` of the divergence, and
        ``[]`` none. Each runs with :func:`baseline_settings`.
    settings : dict, optional
        Settings of the user's estimators (the ``--set`` values), applied to each of them.

    Returns
    -------
    Preset
        Named after the estimators and the divergence (one folder name), entries with
        :attr:`Entry.role` set.

    Raises
    ------
    ValueError
        For no estimator, no or an unknown divergence, an unknown or unsuitable scenario, an
        unknown baseline kind, a baseline that does not estimate the divergence, a
        ``module:attr`` given as a baseline, or a name given twice.
    """
    from divergence_verify import estimators as registry
    from divergence_verify.verify.options import safe_name
    from divergence_verify.verify.pairing import check_divergence, scenarios_for
    from divergence_verify.verify.scenarios import get_scenario

    if not estimators:
        raise ValueError("name at least one estimator (--estimator NAME or module:attr)")
    if divergence is None:
        raise ValueError("--estimator needs --divergence: the quantity your estimator estimates")
    check_divergence(divergence)
    chosen = scenarios_for(divergence, scenarios)
    bases = tuple(DEFAULT_BASELINES.get(divergence, ()) if baselines is None else baselines)
    for kind in bases:
        entry = registry.ESTIMATORS.get(kind)
        if entry is None:
            hint = ("; give your own estimators with --estimator" if ":" in kind else "")
            raise ValueError(f"unknown baseline {kind!r}: expected a built-in kind, one of "
                             f"{', '.join(sorted(registry.ESTIMATORS))}{hint}")
        if divergence not in entry.divergences:
            raise ValueError(f"baseline {kind!r} does not estimate {divergence!r}; it "
                             f"estimates {', '.join(entry.divergences)}")
    names = [*estimators, *bases]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} named twice (as an estimator or a baseline): "
                         "each runs once")
    entries = (*(Entry(spec, divergence, chosen, dict(settings or {}), YOURS)
                 for spec in estimators),
               *(Entry(kind, divergence, chosen, baseline_settings(kind, divergence), BASELINE)
                 for kind in bases))
    on_ladder = all(get_scenario(name).supports(divergence) for name in LADDER)
    ladder = tuple(Entry(e.kind, e.divergence, LADDER, e.settings, e.role)
                   for e in entries) if on_ladder else ()
    on_envelope = all(get_scenario(name).supports(divergence) for name in _ENVELOPE)
    # The envelope (25 cells, up to 128 dimensions) maps the user's estimators only: the
    # baselines' maps are the built-in presets', and running them here would multiply the cost.
    envelope = tuple(Entry(e.kind, e.divergence, _ENVELOPE, e.settings, e.role)
                     for e in entries if e.role == YOURS) if on_envelope else ()
    described = (f"your estimator{'s' if len(estimators) > 1 else ''} "
                 f"{', '.join(estimators)} of {divergence}"
                 + (f" beside the baseline{'s' if len(bases) > 1 else ''} {', '.join(bases)}"
                    if bases else "")
                 + ", every one on the same samples (the same scenarios, sizes and seeds)"
                 + ("; the ladder at the largest n" if ladder else "")
                 + ("; your validity envelope at the largest n" if envelope else ""))
    default = PRESETS["default"]
    return Preset(safe_name(f"{'-'.join(estimators)}-{divergence}"), described,
                  sizes=default.sizes, seeds=default.seeds, entries=entries, ladder=ladder,
                  envelope=envelope)
