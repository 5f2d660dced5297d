"""API answers encoded with ``revbridge.jsonenc`` (FastAPI's encoder would make floats)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from revbridge.jsonenc import dumps


class Answer(JSONResponse):
    """A JSON response encoded with ``jsonenc.dumps``."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
