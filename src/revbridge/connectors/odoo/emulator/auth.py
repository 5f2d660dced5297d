"""Credentials: user passwords and API keys, and how each endpoint checks them.

Why keys and passwords are interchangeable on XML-RPC/JSON-RPC but not on JSON-2: Odoo
accepts an API key in the password slot of ``execute_kw`` (FACTS.md 15), while JSON-2
takes only a bearer API key; a password there is an "Invalid apikey" (30). Revoking a
key makes the next call fail, which is how tests simulate a key withdrawn in Odoo.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass
class ApiKey:
    uid: int
    name: str
    active: bool = True


class Credentials:
    def __init__(self) -> None:
        self._passwords: dict[int, str] = {}
        self._keys: dict[str, ApiKey] = {}

    def set_password(self, uid: int, password: str) -> None:
        self._passwords[uid] = password

    def add_api_key(self, uid: int, name: str = "revbridge", key: str | None = None) -> str:
        """A new key for ``uid``: 40 hex characters like Odoo's, unless one is given."""
        value = key or secrets.token_hex(20)
        self._keys[value] = ApiKey(uid, name)
        return value

    def revoke_api_key(self, key: str) -> None:
        if key in self._keys:
            self._keys[key].active = False

    def uid_for_key(self, key: str) -> int | None:
        found = self._keys.get(key)
        return found.uid if found and found.active else None

    def check(self, uid: int, secret: str) -> bool:
        """Password or active API key of ``uid``."""
        return self._passwords.get(uid) == secret or self.uid_for_key(secret) == uid
