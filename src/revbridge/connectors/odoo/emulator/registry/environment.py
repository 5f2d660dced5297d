"""The environment of one call: who calls, with which context, at which instant.

Why an object per call: Odoo stamps every row a call writes with the transaction's start
time (``write_date``, FACTS.md 14) and reads options such as ``active_test`` or
``active_ids`` from the call's context; models find all of that here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from revbridge.connectors.odoo.emulator.faults import UserError
from revbridge.connectors.odoo.emulator.profiles import Profile
from revbridge.connectors.odoo.emulator.registry.store import Store

if TYPE_CHECKING:
    from revbridge.connectors.odoo.emulator.registry.models import BaseModel


class Env:
    def __init__(
        self,
        models: dict[str, type[BaseModel]],
        store: Store,
        profile: Profile,
        *,
        uid: int,
        now: dt.datetime,
        context: dict[str, Any] | None = None,
    ) -> None:
        self.models = models
        self.store = store
        self.profile = profile
        self.uid = uid
        self.now = now
        self.context = dict(context or {})
        self._instances: dict[str, BaseModel] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.models

    def __getitem__(self, name: str) -> Any:
        """The model named ``name``. Typed ``Any`` on purpose: models reach each other by
        name, as in Odoo, and each model class adds its own helpers."""
        if name not in self._instances:
            if name not in self.models:
                raise UserError(self.profile.text("unknown_model", model=name))
            self._instances[name] = self.models[name](self)
        return self._instances[name]

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def with_context(self, **values: Any) -> Env:
        """A sibling environment sharing the store, with extra context keys."""
        return Env(
            self.models,
            self.store,
            self.profile,
            uid=self.uid,
            now=self.now,
            context={**self.context, **values},
        )
