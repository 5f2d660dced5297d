"""A plug-in for ``revbridge worker --plugin tests.outbox.file_sink:register``: appends each
delivered key to the file named by ``REVBRIDGE_TEST_EFFECTS_FILE``."""

from __future__ import annotations

import os

from revbridge.config import Settings
from revbridge.outbox import Job, Registry


class FileSink:
    name = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def deliver(self, job: Job) -> None:
        with open(self.path, "a") as out:
            out.write(job.key + "\n")


def register(registry: Registry, settings: Settings) -> None:
    registry.add_sink(FileSink(os.environ["REVBRIDGE_TEST_EFFECTS_FILE"]))
