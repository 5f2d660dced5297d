"""Usage ingestion: validate CloudEvents, read event files, and the reference aggregation.

Pure and storage-free: bytes and records in, accepted ``UsageEvent`` values and
``Rejection`` values (kept for quarantine) out. The store deduplicates and persists them.
"""

from __future__ import annotations

from revbridge.ingest.envelope import (
    BATCH_MEDIA_TYPE,
    SINGLE_MEDIA_TYPE,
    CustomerLookup,
    EventRules,
    IngestResult,
    Need,
    RawRecord,
    Rejection,
    Requirement,
    UsageEvent,
    ingest_body,
    ingest_records,
    is_batch_media_type,
    validate_events,
)
from revbridge.ingest.limits import (
    DEFAULT_LIMITS,
    BatchTooLarge,
    BodyTooLarge,
    IngestLimits,
    MalformedBody,
    UnsupportedMediaType,
)
from revbridge.ingest.quantity import parse_quantity
from revbridge.ingest.readers import ColumnMapping, read_csv, read_events, read_jsonl, read_parquet
from revbridge.ingest.reference import UsageKey, Window, aggregate, quantity

__all__ = [
    "BATCH_MEDIA_TYPE",
    "DEFAULT_LIMITS",
    "SINGLE_MEDIA_TYPE",
    "BatchTooLarge",
    "BodyTooLarge",
    "ColumnMapping",
    "CustomerLookup",
    "EventRules",
    "IngestLimits",
    "IngestResult",
    "MalformedBody",
    "Need",
    "RawRecord",
    "Rejection",
    "Requirement",
    "UnsupportedMediaType",
    "UsageEvent",
    "UsageKey",
    "Window",
    "aggregate",
    "ingest_body",
    "ingest_records",
    "is_batch_media_type",
    "parse_quantity",
    "quantity",
    "read_csv",
    "read_events",
    "read_jsonl",
    "read_parquet",
    "validate_events",
]
