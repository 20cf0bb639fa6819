"""Families of scenarios with randomised instances, and their registry.

A :class:`Family` draws an instance from a seed: a rotation, a mean direction, a covariance
spectrum, flow weights, ... each with the instance's exact truths. Certificates can draw fresh
instances, so that no estimator recognises a scenario by its moments; the fixed named scenarios
stay for reproducible reports.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from divergence_verify.verify.scenarios.core import (
    Scenario,
    add_resolver,
    add_unique,
    lookup_named,
)

__all__ = ["FAMILIES", "Family", "get_family", "register_family", "resolve_instance"]

Builder = Callable[..., Scenario]
"""``build(rng, **params) -> Scenario``: one instance drawn with ``rng`` (name set by Family)."""


@dataclass(frozen=True)
class Family:
    """A named recipe for random scenario instances.

    Attributes
    ----------
    name : str
        Registry key.
    description : str
        One line: the laws and which truths the instances have.
    build : callable
        ``build(rng, **params) -> Scenario``.
    defaults : mapping
        The parameters and their default values; :meth:`instance` accepts only these.
    tags : tuple of str
        Added to every instance's tags (with ``"family"``).
    """

    name: str
    description: str
    build: Builder
    defaults: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    def instance(self, seed: int, **params: Any) -> Scenario:
        """Return the instance drawn from ``seed`` with ``params`` overriding the defaults.

        The instance's name records the family, the parameters that differ from the defaults
        and the seed, e.g. ``gaussian-mean-shift@3,dim=64``; the same seed and parameters give
        the same instance (and samples) on every machine.
        """
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise ValueError(f"family {self.name!r} has no parameter {', '.join(unknown)}; "
                             f"expected some of: {', '.join(self.defaults)}")
        values = {**self.defaults, **params}
        # The family's name enters the seed, so two families never share a random stream.
        rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(self.name.encode())]))
        scen = self.build(rng, **values)
        # Shell-safe (no brackets, no ':' which --scenario module:attr uses): name@seed,k=v,...
        changed = "".join(f",{k}={v}" for k, v in params.items() if self.defaults[k] != v)
        label = f"{self.name}@{seed}{changed}"
        tags = tuple(dict.fromkeys((*scen.tags, *self.tags, "family")))
        return dataclasses.replace(scen, name=label, tags=tags, _cache={})


FAMILIES: dict[str, Family] = {}
"""Every registered family, by name."""


def register_family(family: Family) -> Family:
    """Add ``family`` to :data:`FAMILIES` (names are unique)."""
    return add_unique(FAMILIES, family.name, family, "family")


def get_family(name: str) -> Family:
    """Return the family called ``name``, or raise a ValueError listing the known ones."""
    return lookup_named(FAMILIES, name, "family")


_INSTANCES: dict[str, Scenario] = {}


def _parse(family: Family, key: str, text: str) -> Any:
    if key not in family.defaults:
        return text  # Family.instance names the unknown parameter and the known ones
    default = family.defaults[key]
    if isinstance(default, bool):
        if text not in ("true", "false", "True", "False"):
            raise ValueError(f"parameter {key!r} of family {family.name!r} is true or false, "
                             f"got {text!r}")
        return text in ("true", "True")
    try:
        return type(default)(text)
    except ValueError:
        raise ValueError(f"parameter {key!r} of family {family.name!r} takes a "
                         f"{type(default).__name__}, got {text!r}") from None


@add_resolver
def resolve_instance(name: str) -> Scenario | None:
    """Return the instance a name like ``flow-gaussian@3,dim=16`` describes (None if no family).

    The name is the one :meth:`Family.instance` gives, so an instance can be asked for again by
    name (from the command line too); instances are built once per process.
    """
    family_name, at, rest = name.partition("@")
    if not at or family_name not in FAMILIES:
        return None
    if name not in _INSTANCES:
        family = FAMILIES[family_name]
        seed_text, *pairs = rest.split(",")
        try:
            seed = int(seed_text)
        except ValueError:
            raise ValueError(f"{name!r}: the seed after '@' must be an integer, got "
                             f"{seed_text!r}") from None
        params = {}
        for pair in pairs:
            key, eq, text = pair.partition("=")
            if not eq:
                raise ValueError(f"{name!r}: parameters are KEY=VALUE, got {pair!r}")
            params[key] = _parse(family, key, text)
        _INSTANCES[name] = family.instance(seed, **params)
    return _INSTANCES[name]
