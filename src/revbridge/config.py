"""Settings: one frozen value, loaded once, passed down; the domain never reads it.

Sources, later ones winning: built-in defaults, a TOML file (``revbridge.toml`` in the
working directory, or the path in ``REVBRIDGE_CONFIG``), ``REVBRIDGE_*`` environment
variables, then command-line flags. Every option is declared once in ``OPTIONS`` with
its default, its environment twin and a parser that refuses bad values by name.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from revbridge.errors import ValidationError

SECRET_MARK = "********"


def _log_level(value: Any) -> str:
    level = str(value).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("one of debug, info, warning, error, critical")
    return level


def _port(value: Any) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError("a TCP port from 0 to 65535")
    return port


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("a whole number of at least 1")
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("true or false")


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one revbridge process."""

    database_url: str = "sqlite:///revbridge.db"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_format: str = "console"  # or "json"
    workers: int = 1
    run_worker_in_process: bool = True
    idempotency_ttl_hours: int = 24
    billing_interval_minutes: int = 60  # serve runs billing this often; 0 turns it off
    ingest_max_body_bytes: int = 4 * 1024 * 1024
    ingest_max_batch_events: int = 10_000
    ingest_max_string_length: int = 256
    ingest_max_depth: int = 32
    ingest_max_future_seconds: int = 300
    ingest_max_lateness_days: int = 35
    secrets: Mapping[str, str] = field(default_factory=dict)
    source: tuple[str, ...] = ()  # where each layer came from, for `config show`

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with secrets and database passwords hidden."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "source":
                continue
            value = getattr(self, f.name)
            if f.name == "secrets":
                value = {k: SECRET_MARK for k in value}
            elif f.name == "database_url":
                value = mask_url(value)
            out[f.name] = value
        return out


def mask_url(url: str) -> str:
    """Hide the password of a database URL (``postgresql://u:pw@h/db`` -> ``u:********@h``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user, colon, _pw = creds.partition(":")
    return f"{scheme}://{user}{':' + SECRET_MARK if colon else ''}@{host}"


OPTIONS: dict[str, Callable[[Any], Any]] = {
    "database_url": str,
    "host": str,
    "port": _port,
    "log_level": _log_level,
    "log_format": lambda v: {"console": "console", "json": "json"}[str(v)],
    "workers": _positive_int,
    "run_worker_in_process": _bool,
    "idempotency_ttl_hours": _positive_int,
    "billing_interval_minutes": lambda v: max(0, int(v)),
    "ingest_max_body_bytes": _positive_int,
    "ingest_max_batch_events": _positive_int,
    "ingest_max_string_length": _positive_int,
    "ingest_max_depth": _positive_int,
    "ingest_max_future_seconds": _positive_int,
    "ingest_max_lateness_days": _positive_int,
}


def _parse(name: str, value: Any, where: str) -> Any:
    try:
        return OPTIONS[name](value)
    except (ValueError, KeyError, TypeError) as exc:
        hint = str(exc) if isinstance(exc, ValueError) and str(exc) else "a valid value"
        raise ValidationError(name, f"expected {hint} ({where})", value) from None


def load_settings(
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build the effective settings from defaults, the TOML file, the environment and flags."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    sources = ["defaults"]

    path = Path(env["REVBRIDGE_CONFIG"]) if env.get("REVBRIDGE_CONFIG") else (cwd or Path.cwd()) / "revbridge.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError("config", f"{path}: {exc}") from None
        section = data.get("revbridge", data)
        for key, value in section.items():
            if key == "secrets":
                secrets.update({str(k): str(v) for k, v in value.items()})
            elif key in OPTIONS:
                values[key] = _parse(key, value, str(path))
            else:
                raise ValidationError(key, f"unknown option in {path}")
        sources.append(str(path))

    for key, value in env.items():
        if not key.startswith("REVBRIDGE_") or key == "REVBRIDGE_CONFIG":
            continue
        name = key[len("REVBRIDGE_"):].lower()
        if name.startswith("secret_"):
            secrets[name[len("secret_"):]] = value
        elif name in OPTIONS:
            values[name] = _parse(name, value, key)
    if any(k.startswith("REVBRIDGE_") for k in env):
        sources.append("environment")

    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _parse(key, value, "command line")
            if "command line" not in sources:
                sources.append("command line")

    return replace(Settings(), **values, secrets=secrets, source=tuple(sources))
