"""Secrets of listening jobs: a job names a *credentials reference*, never a secret.

The values live outside the database, where operators already keep secrets:

- environment variables ``UGC_CRED_<REF>_<NAME>`` (upper-cased, ``-`` as ``_``), e.g.
  ``UGC_CRED_BRAND_X_BEARER_TOKEN`` for reference ``brand-x`` and name ``bearer_token``;
- a secrets file (``UGC_SECRETS_FILE``): JSON or TOML mapping each reference to its values,
  ``{"brand-x": {"bearer_token": "..."}}`` / ``[brand-x]`` + ``bearer_token = "..."``;
- or, when ``UGC_SECRETS_FILE`` is a directory (Docker or Kubernetes secrets), one file per
  value: ``<dir>/<ref>/<name>`` or ``<dir>/<ref>_<name>``.

The environment wins over the file. The file is read at each resolution, so that a rotated
secret is picked up when a job restarts, without restarting the worker. Values are only ever
returned to the code that passes them to a connector: every error, log line and API answer
names the reference and the credential names, never a value.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ENV_PREFIX = "UGC_CRED_"
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
_REF = re.compile(REF_PATTERN)


class CredentialsError(RuntimeError):
    """The secrets file cannot be read (the message names the file, never its contents)."""


def env_name(ref: str, name: str) -> str:
    """The environment variable holding credential ``name`` of reference ``ref``."""
    return f"{ENV_PREFIX}{_env_part(ref)}_{_env_part(name)}"


def _env_part(part: str) -> str:
    return part.strip().upper().replace("-", "_")


def valid_ref(ref: str) -> bool:
    return bool(_REF.match(ref))


def missing_credentials_message(
    network: str, ref: str | None, missing: Iterable[str], *, ref_hint: str = "credentials_ref"
) -> str:
    """Which secrets a job on ``network`` lacks and where to put them (names and places, never
    values). ``ref_hint`` is how the caller gives a job its reference (a field, a flag)."""
    wanted = list(missing)
    names = ", ".join(wanted)
    if ref is None:
        return (
            f"{network} needs the credential(s) {names}: give the job a credentials "
            f"reference ({ref_hint}), then set {env_name('<ref>', wanted[0])}"
        )
    return (
        f"{network} needs the credential(s) {names} under reference {ref!r}: set "
        f"{env_name(ref, wanted[0])} or add it to the secrets file (UGC_SECRETS_FILE)"
    )


@dataclass(frozen=True)
class CredentialStatus:
    """Which credential names of a reference are set and which are missing (names only)."""

    ref: str | None
    required: tuple[str, ...]
    set: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class CredentialResolver:
    """Resolves a reference's secrets from the environment and the secrets file.

    ``environ`` is handed in (the process's environment, read once where settings are
    loaded), so that nothing here reads ``os.environ`` behind the caller's back.
    """

    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    secrets_file: Path | None = None

    def __post_init__(self) -> None:
        # Keep only our own variables: the resolver must not carry the whole environment
        # around (it may hold unrelated secrets).
        mine = {k: v for k, v in self.environ.items() if k.startswith(ENV_PREFIX)}
        object.__setattr__(self, "environ", mine)

    def resolve(self, ref: str | None, names: Iterable[str]) -> dict[str, str]:
        """The values of ``names`` under ``ref`` that are set (blank values count as unset).

        Raises :class:`CredentialsError` when the secrets file exists but cannot be read.
        """
        wanted = list(dict.fromkeys(names))
        if ref is None or not wanted:
            return {}
        from_file = self._from_file(ref, wanted)
        found: dict[str, str] = {}
        for name in wanted:
            value = self.environ.get(env_name(ref, name))
            if value is None or not value.strip():
                value = from_file.get(name)
            if value is not None and value.strip():
                found[name] = value.strip()
        return found

    def status(
        self, ref: str | None, required: Iterable[str], optional: Iterable[str] = ()
    ) -> CredentialStatus:
        """Which of ``required`` (and ``optional``) are set under ``ref``; never the values.

        An unreadable secrets file is reported as everything from it missing (and logged),
        not raised: listing jobs must keep working while somebody fixes the file.
        """
        required = tuple(dict.fromkeys(required))
        names = tuple(dict.fromkeys((*required, *optional)))
        try:
            present = set(self.resolve(ref, names))
        except CredentialsError as exc:
            log.warning("%s", exc)
            present = {n for n in names if ref and self.environ.get(env_name(ref, n), "").strip()}
        return CredentialStatus(
            ref=ref,
            required=required,
            set=tuple(n for n in names if n in present),
            missing=tuple(n for n in required if n not in present),
        )

    def _from_file(self, ref: str, names: list[str]) -> dict[str, str]:
        path = self.secrets_file
        if path is None:
            return {}
        if path.is_dir():
            return _from_directory(path, ref, names)
        if not path.exists():
            log.warning("secrets file %s does not exist; only UGC_CRED_* variables are used", path)
            return {}
        table = _load_table(path)
        entry = table.get(ref)
        if entry is None:
            # References are case-insensitive, like the environment variables.
            entry = next((v for k, v in table.items() if k.casefold() == ref.casefold()), None)
        if entry is None:
            return {}
        if not isinstance(entry, dict):
            raise CredentialsError(f"secrets file {path}: {ref!r} must map names to values")
        return {n: str(entry[n]) for n in names if isinstance(entry.get(n), str | int)}


def _load_table(path: Path) -> dict[str, object]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CredentialsError(f"cannot read secrets file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".toml":
            data: object = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw)
    except json.JSONDecodeError as exc:
        # The position only: the decoder's message quotes no content, and neither do we.
        raise CredentialsError(
            f"secrets file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise CredentialsError(f"secrets file {path} is not valid TOML") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"secrets file {path} must map references to their values")
    return data


def _from_directory(directory: Path, ref: str, names: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if not valid_ref(ref):  # a reference is a file name here: no separators, no `..`
        return found
    for name in names:
        for candidate in (directory / ref / name, directory / f"{ref}_{name}"):
            try:
                found[name] = candidate.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                continue
            break
    return found
