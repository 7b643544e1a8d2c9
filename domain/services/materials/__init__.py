"""Materials: locations, suppliers, lots and serials, holds, the inventory ledger,
production records with genealogy, shipments and trace (issue 12; docs/materials.md).

One module per use case family; every rule that matters is also enforced by the database
(migration 0012), the services give the clear message first.
"""
