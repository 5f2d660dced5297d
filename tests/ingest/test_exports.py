"""Everything ``revbridge.ingest`` exports exists and is documented."""

from __future__ import annotations

from revbridge import ingest


def test_exported_members() -> None:
    for name in ingest.__all__:
        member = getattr(ingest, name)
        assert member is not None
        if callable(member) and not name.isupper() and name != "CustomerLookup":
            assert member.__doc__, name
    assert sorted(ingest.__all__) == sorted(set(ingest.__all__))
