-- Forward trace and recall: each shipped line's posting (its ledger row) is found by the
-- line, not by reading the whole ledger. Without this index the trace's shipments part
-- hashed every inventory transaction of the plant's history on every recall.
CREATE INDEX ix_inventory_txn_shipment_line ON workcell.inventory_txn (shipment_line_id)
    INCLUDE (at) WHERE shipment_line_id IS NOT NULL;
