"""The transactional outbox: every effect outside revbridge leaves through it."""

from revbridge.outbox.enqueue import JobState, enqueue

__all__ = ["JobState", "enqueue"]
