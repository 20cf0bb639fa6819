"""The report's output folder: a name that stays under its root, atomic writes, and a manifest.

A report writes only inside ``<out-root>/<name>/``, where ``name`` is one plain path component.
Every file is written atomically (:mod:`divergence_verify.verify.jsonio`). The folder keeps a
manifest, :data:`MANIFEST`, listing the files the suite wrote there; a new report removes only
the files that the previous manifest lists and that it did not write again (an earlier run's
figures), so a user's own files in the folder are never touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from divergence_verify.verify import jsonio

MANIFEST = ".divergence-verify-manifest.json"
"""File name of the manifest in a report folder."""
MANIFEST_FORMAT = "divergence-verify manifest"


def check_name(name: str, what: str = "--name") -> str:
    """Return ``name`` if it is one plain path component, else raise ValueError.

    Refused: the empty name, ``.`` and ``..``, anything with a path separator (``/`` or, on
    every platform, a backslash), an absolute path or a drive, a NUL byte, and a leading dot (a
    hidden folder, easily mistaken for the manifest).
    """
    bad = (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name
           or os.path.isabs(name) or os.path.splitdrive(name)[0] or name.startswith("."))
    if bad:
        raise ValueError(f"{what} {name!r} must be one folder name (no '/', '\\', '..', "
                         "leading '.' or absolute path): the report goes under --out-root")
    return name


def report_folder(out_root: str | os.PathLike[str], name: str) -> Path:
    """Return ``out_root/name`` after :func:`check_name` (the folder is not created here)."""
    return Path(out_root) / check_name(name)


class OutputFolder:
    """A report folder being written: atomic file writes and the manifest of what was written.

    Parameters
    ----------
    path : path
        The folder (created with its parents).

    Notes
    -----
    Call :meth:`finish` once every file is written: it removes the stale files of the previous
    manifest and writes the new one.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.previous = read_manifest(self.path)
        self.written: list[str] = []

    def _target(self, name: str) -> Path:
        check_name(name, "output file")
        if name == MANIFEST:
            raise ValueError(f"{MANIFEST} is the manifest's own name")
        if name not in self.written:
            self.written.append(name)
        return self.path / name

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write ``data`` to the file ``name`` of the folder atomically; return its path."""
        target = self._target(name)
        jsonio.write_bytes_atomic(target, data)
        return target

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8) to the file ``name`` atomically; return its path."""
        target = self._target(name)
        jsonio.write_text_atomic(target, text)
        return target

    def write_json(self, name: str, data: Any, indent: int | None = 1) -> Path:
        """Write ``data`` as strict JSON to the file ``name`` atomically; return its path."""
        target = self._target(name)
        jsonio.write_json_atomic(target, data, indent=indent)
        return target

    def finish(self) -> list[str]:
        """Remove the previous manifest's files not written again; write the new manifest.

        Returns
        -------
        list of str
            The names removed.
        """
        removed = []
        for name in self.previous:
            if name not in self.written and (self.path / name).is_file():
                (self.path / name).unlink()
                removed.append(name)
        jsonio.write_json_atomic(self.path / MANIFEST,
                                 {"format": MANIFEST_FORMAT, "files": sorted(self.written)},
                                 indent=1)
        return removed


def read_manifest(folder: str | os.PathLike[str]) -> list[str]:
    """Return the file names the manifest of ``folder`` lists ([] when there is none).

    Entries that are not plain file names are ignored, so an edited manifest cannot make a
    report delete anything outside its folder.

    Raises
    ------
    ValueError
        If the manifest exists but is not one this suite wrote.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return []
    try:
        data = jsonio.read_json(path)
    except ValueError as exc:
        raise ValueError(f"{path} is not a readable manifest ({exc}); remove it to go on") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path} is not a divergence-verify manifest; remove it to go on")
    names = data.get("files", [])
    out = []
    for name in names if isinstance(names, list) else []:
        try:
            out.append(check_name(name, "manifest entry"))
        except (ValueError, TypeError):
            continue
    return out
