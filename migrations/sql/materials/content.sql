-- What is signed on a lot, a hold and a shipment (content functions: substantive facts only,
-- never status or version; times rendered in UTC), what the signing dialog shows, and the
-- labels the transition guard uses in its refusals.

CREATE FUNCTION workcell.lot_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'lot', 'lot_number', l.lot_number, 'item', i.item_number, 'origin', l.origin,
        'supplier', s.code, 'supplier_lot', l.supplier_lot, 'po', l.po_reference, 'coa', l.coa_reference,
        'quantity', trim_scale(l.quantity)::text, 'unit', l.unit,
        'expiry', to_char(l.expiry_date, 'YYYY-MM-DD'), 'retest', to_char(l.retest_date, 'YYYY-MM-DD'),
        'manufactured', to_char(l.manufactured_date, 'YYYY-MM-DD'),
        'created_at', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'created_by', l.created_by,
        'serials', (SELECT count(*) FROM workcell.serial x WHERE x.lot_id = l.id))
      FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id
      LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
     WHERE l.id = p_id
$$;

CREATE FUNCTION workcell.lot_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('Lot %s — %s %s', l.lot_number, i.item_number, i.description),
        'lines', jsonb_build_array(
            format('Quantity received: %s %s', trim_scale(l.quantity), l.unit),
            CASE WHEN l.origin = 'received'
                 THEN format('Supplier %s lot %s, PO %s, CoA %s', s.code, l.supplier_lot,
                             coalesce(l.po_reference, '-'), coalesce(l.coa_reference, '-'))
                 ELSE format('Produced (%s)', coalesce((SELECT number FROM workcell.production_record r WHERE r.lot_id = l.id), '-')) END,
            format('Expiry %s, retest %s', coalesce(to_char(l.expiry_date, 'YYYY-MM-DD'), 'none'),
                   coalesce(to_char(l.retest_date, 'YYYY-MM-DD'), 'none')),
            format('Status %s%s', l.status, CASE WHEN workcell.lot_is_held(l.id) THEN ', ON HOLD' ELSE '' END)))
      FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id
      LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
     WHERE l.id = p_id
$$;

CREATE FUNCTION workcell.hold_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'hold', 'id', h.id, 'lot_number', l.lot_number, 'source', h.source,
        'source_ref', h.source_ref, 'reason', h.reason,
        'placed_at', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'placed_by', h.created_by)
      FROM workcell.hold h JOIN workcell.lot l ON l.id = h.lot_id
     WHERE h.id = p_id
$$;

CREATE FUNCTION workcell.hold_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('Hold %s on lot %s', h.id, l.lot_number),
        'lines', jsonb_build_array(format('Source: %s %s', h.source, h.source_ref), format('Reason: %s', h.reason)))
      FROM workcell.hold h JOIN workcell.lot l ON l.id = h.lot_id
     WHERE h.id = p_id
$$;

CREATE FUNCTION workcell.shipment_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'shipment', 'number', sh.shipment_number, 'customer', c.code, 'reference', sh.reference,
        'lines', coalesce((
            SELECT jsonb_agg(jsonb_build_array(l.lot_number, x.serial_id, b.code, trim_scale(x.quantity)::text, l.unit)
                   ORDER BY x.id)
              FROM workcell.shipment_line x JOIN workcell.lot l ON l.id = x.lot_id
              JOIN workcell.bin b ON b.id = x.bin_id
             WHERE x.shipment_id = sh.id), '[]'::jsonb))
      FROM workcell.shipment sh JOIN workcell.customer c ON c.id = sh.customer_id
     WHERE sh.id = p_id
$$;

CREATE FUNCTION workcell.shipment_summary(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'title', format('Shipment %s to %s — %s', sh.shipment_number, c.code, c.name),
        'lines', coalesce((
            SELECT jsonb_agg(format('%s %s%s: %s %s', i.item_number, l.lot_number,
                                    coalesce(' SN ' || s.serial_number, ''), trim_scale(x.quantity), l.unit)
                   ORDER BY x.id)
              FROM workcell.shipment_line x JOIN workcell.lot l ON l.id = x.lot_id
              JOIN workcell.item i ON i.id = l.item_id
              LEFT JOIN workcell.serial s ON s.id = x.serial_id
             WHERE x.shipment_id = sh.id), '[]'::jsonb))
      FROM workcell.shipment sh JOIN workcell.customer c ON c.id = sh.customer_id
     WHERE sh.id = p_id
$$;

-- The guard's record labels, with the materials record types.
CREATE OR REPLACE FUNCTION workcell.record_label(p_type text, p_row jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_type
        WHEN 'item' THEN 'Item ' || (p_row->>'item_number')
        WHEN 'eco' THEN p_row->>'number'
        WHEN 'bom_revision' THEN 'BOM revision ' || (p_row->>'revision')
        WHEN 'routing_revision' THEN 'Routing revision ' || (p_row->>'revision')
        WHEN 'lot' THEN 'Lot ' || (p_row->>'lot_number')
        WHEN 'hold' THEN 'Hold ' || (p_row->>'id')
        WHEN 'shipment' THEN 'Shipment ' || (p_row->>'shipment_number')
        ELSE replace(p_type, '_', ' ') || ' ' || (p_row->>'id') END
$$;
