"""The suite's one JSON policy: strict JSON everywhere, non-finite numbers encoded one way.

Every JSON file the suite writes (certificates, sweeps, cache records, report results) is valid
strict JSON (RFC 8259): no bare ``NaN``, ``Infinity`` or ``-Infinity``, which strict parsers
reject. The encoding of a float that is not finite:

==========================  ===============
value                       written as
==========================  ===============
``+inf``                    ``"inf"``
``-inf``                    ``"-inf"``
NaN, or no value (None)     ``null``
==========================  ===============

Decoding is by field, not by guessing: a reader that expects a number calls
:func:`decode_float` on it (``"inf"`` → ``inf``, ``"-inf"`` → ``-inf``, ``null`` → NaN), so a
string field whose text happens to be ``"inf"`` stays a string.

Every write is atomic (a temporary file in the same folder, flushed to disk, then moved into
place with :func:`os.replace`, atomic on POSIX and Windows): a crash leaves the old file or the
complete new one, never half a file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

POS_INF = "inf"
"""How ``+inf`` is written."""
NEG_INF = "-inf"
"""How ``-inf`` is written."""


def encode_float(value: float | None) -> float | str | None:
    """Return ``value`` as the policy writes it: itself if finite, ``"inf"``/``"-inf"``, None.

    NaN and None (no value) both become None (``null``).
    """
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return POS_INF if value > 0 else NEG_INF
    return float(value)


def decode_float(value: Any) -> float:
    """Return the float that :func:`encode_float` wrote as ``value``.

    ``null`` (None) decodes to NaN (no value), ``"inf"`` and ``"-inf"`` to the infinities, a
    JSON number to itself.

    Raises
    ------
    ValueError
        For any other string, or a value that is not a number (a bool included).
    """
    if value is None:
        return math.nan
    if value == POS_INF:
        return math.inf
    if value == NEG_INF:
        return -math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, {POS_INF!r}, {NEG_INF!r} or null, got {value!r}")
    return float(value)


def decode_optional(value: Any) -> float | None:
    """Like :func:`decode_float`, but ``null`` stays None (a field where None means "no run")."""
    return None if value is None else decode_float(value)


def encode(obj: Any) -> Any:
    """Return ``obj`` with every float encoded by the policy, ready for strict JSON.

    Dicts, lists and tuples are walked; numpy scalars and arrays (anything with ``tolist`` or
    ``item``) become Python values first, so ``numpy.float32(inf)`` is encoded too.
    """
    if isinstance(obj, float):
        return encode_float(obj)
    if obj is None or isinstance(obj, (str, int)):
        return obj
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, without importing numpy
        return encode(obj.tolist())
    if hasattr(obj, "item"):
        return encode(obj.item())
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def dumps(obj: Any, indent: int | None = None, sort_keys: bool = False) -> str:
    """Return ``obj`` as strict JSON text under the policy (see :func:`encode`)."""
    return json.dumps(encode(obj), indent=indent, sort_keys=sort_keys, allow_nan=False)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not strict JSON: bare {name} (the suite writes 'inf', '-inf' or null)")


def loads(text: str | bytes) -> Any:
    """Parse strict JSON; bare ``NaN``/``Infinity``/``-Infinity`` raise ValueError.

    ``json.JSONDecodeError`` (a ValueError) for malformed text. Non-finite numbers stay
    encoded: decode the fields that hold numbers with :func:`decode_float`.
    """
    return json.loads(text, parse_constant=_reject_constant)


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read the strict JSON file ``path`` (see :func:`loads`); OSError if it cannot be read."""
    return loads(Path(path).read_bytes())


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (its folder must exist); the file is mode 0644."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results and reports are meant to be shared
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, like :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(
    path: str | os.PathLike[str], data: Any, indent: int | None = None, sort_keys: bool = False
) -> None:
    """Write ``data`` as strict JSON (see :func:`dumps`) to ``path`` atomically.

    A trailing newline is added, so the file is a well-formed text file.
    """
    write_text_atomic(path, dumps(data, indent=indent, sort_keys=sort_keys) + "\n")
