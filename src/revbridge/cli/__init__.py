"""The ``revbridge`` command line: one module per command group, each a thin face."""
