"""Connectors: adapters that carry revbridge's documents to and from external systems."""
