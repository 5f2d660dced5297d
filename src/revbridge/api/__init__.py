"""The REST API under ``/v1``: a thin face over the same application services as the CLI."""
