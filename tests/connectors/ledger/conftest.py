"""The ledger tests use the payments tests' books."""

from tests.payments.conftest import books  # noqa: F401  (fixture)
