"""A small ORM with Odoo's external semantics: fields, domains, ordering, read_group.

``store`` holds rows with an undo log, ``fields`` converts values at the wire,
``domain`` evaluates search domains, ``models`` is the generic ``BaseModel``,
``grouping`` answers ``read_group`` and ``environment`` carries one call's context.
"""
