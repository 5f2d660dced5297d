"""The sinks a worker process serves: the built-in ones, then plug-ins named on the command line.

Each provider is a function ``register(registry, settings)``. Built-in providers are
listed by module (``BUILTIN``) and skipped while their area does not exist yet, the way
``store.schema`` loads area tables; a plug-in is named ``package.module:function``, so a
deployment adds its own sinks (or a test its recording sink) without changing revbridge.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from revbridge.config import Settings
from revbridge.errors import ValidationError
from revbridge.outbox.handlers import NoopSink, Registry

Provider = Callable[[Registry, Settings], None]

BUILTIN = ("revbridge.connectors.ledger.sink", "revbridge.connectors.odoo.sink")


def load_provider(spec: str) -> Provider:
    """``package.module:function`` -> the function."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValidationError("plugin", "expected package.module:function", spec)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValidationError("plugin", f"cannot import {exc.name}", spec) from None
    provider = getattr(module, attr, None)
    if not callable(provider):
        raise ValidationError("plugin", f"{module_name} has no function {attr}", spec)
    return provider  # type: ignore[no-any-return]


def build_registry(settings: Settings, plugins: Iterable[str] = ()) -> Registry:
    """The no-op sink, every built-in sink that exists, then ``plugins`` in order."""
    registry = Registry().add_sink(NoopSink())
    for module_name in BUILTIN:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        module.register(registry, settings)
    for spec in plugins:
        load_provider(spec)(registry, settings)
    return registry
