-- Record guards of the materials area (SECURITY INVOKER, ENABLE ALWAYS): who may write
-- master data, what of a lot, hold or shipment may change after creation, and which lines a
-- shipment may carry. Status moves themselves are workcell.transition_rule's (rules.sql).

-- Sites, zones, bins, suppliers, customers: written by holders of the permission named in
-- the trigger argument; a code never changes.
CREATE FUNCTION workcell.materials_master_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM workcell.require_permission(TG_ARGV[0]);
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW)->'code' IS DISTINCT FROM to_jsonb(OLD)->'code'
        OR to_jsonb(NEW)->'created_by' IS DISTINCT FROM to_jsonb(OLD)->'created_by'
        OR to_jsonb(NEW)->'zone_id' IS DISTINCT FROM to_jsonb(OLD)->'zone_id'
        OR to_jsonb(NEW)->'site_id' IS DISTINCT FROM to_jsonb(OLD)->'site_id'
        OR to_jsonb(NEW)->'zone_type' IS DISTINCT FROM to_jsonb(OLD)->'zone_type') THEN
        RAISE EXCEPTION 'The code and place of % % never change', TG_TABLE_NAME, OLD.code
            USING ERRCODE = 'WC071', HINT = 'Make a new one and stop using the old one.';
    END IF;
    RETURN NEW;
END $$;

-- An approved-supplier entry's item and supplier never change (its status is a guarded move).
CREATE FUNCTION workcell.approved_supplier_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM workcell.require_permission('supplier.manage');
    IF (NEW.item_id, NEW.supplier_id, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.item_id, OLD.supplier_id, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'An approved-supplier entry keeps its item and supplier' USING ERRCODE = 'WC071';
    END IF;
    RETURN NEW;
END $$;

-- A lot's received facts are what was signed at release: only its status (a guarded move)
-- and version change.
CREATE FUNCTION workcell.lot_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY['status', 'version']) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version']) THEN
        RAISE EXCEPTION 'Lot % keeps what was received: only its status changes, by its rules', OLD.lot_number
            USING ERRCODE = 'WC071', HINT = 'A wrong receipt is rejected and received again as a new lot.';
    END IF;
    RETURN NEW;
END $$;

-- A hold: placing one locks the lot row (so it serialises with the ledger: a lot consumed
-- "at the same time" is either consumed before the hold or refused after it); its lot,
-- source and reason never change; closing time and closer are the server's.
CREATE FUNCTION workcell.hold_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM workcell.lot WHERE id = NEW.lot_id FOR NO KEY UPDATE;
        NEW.closed_at := NULL;
        NEW.closed_by := NULL;
        RETURN NEW;
    END IF;
    IF (NEW.lot_id, NEW.source, NEW.source_ref, NEW.reason, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM (OLD.lot_id, OLD.source, OLD.source_ref, OLD.reason, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'Hold % keeps its lot, source and reason', OLD.id USING ERRCODE = 'WC071';
    END IF;
    IF OLD.status = 'closed' AND (NEW.close_comment, NEW.closed_at, NEW.closed_by)
       IS DISTINCT FROM (OLD.close_comment, OLD.closed_at, OLD.closed_by) THEN
        RAISE EXCEPTION 'Hold % is closed' , OLD.id USING ERRCODE = 'WC071';
    END IF;
    IF NEW.status = 'closed' AND OLD.status = 'open' THEN
        PERFORM 1 FROM workcell.lot WHERE id = NEW.lot_id FOR NO KEY UPDATE;
        NEW.closed_at := now();
        NEW.closed_by := workcell.current_actor_id();
    ELSE
        NEW.closed_at := OLD.closed_at;
        NEW.closed_by := OLD.closed_by;
    END IF;
    RETURN NEW;
END $$;

-- A shipment's customer and reference never change; its lines only while it is open.
CREATE FUNCTION workcell.shipment_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY['status', 'version']) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version']) THEN
        RAISE EXCEPTION 'Shipment % keeps its customer and reference', OLD.shipment_number USING ERRCODE = 'WC069';
    END IF;
    RETURN NEW;
END $$;

-- A shipment line: on an open shipment, of a lot that may be shipped now (released, not
-- held, in date, serial in its lot and bin, enough on hand); checked again at confirmation.
CREATE FUNCTION workcell.shipment_line_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sh workcell.shipment;
    l workcell.lot;
    s workcell.serial;
    v_tracking text;
    v_have numeric;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'Shipment lines are not changed: cancel the shipment and pick again' USING ERRCODE = 'WC069';
    END IF;
    PERFORM workcell.require_permission('shipment.create');
    SELECT * INTO sh FROM workcell.shipment WHERE id = NEW.shipment_id FOR NO KEY UPDATE;
    IF sh.status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'Shipment % is %: lines are added only while it is open', sh.shipment_number, sh.status
            USING ERRCODE = 'WC069';
    END IF;
    SELECT * INTO l FROM workcell.lot WHERE id = NEW.lot_id;
    PERFORM workcell.assert_lot_usable(l, 'shipped');
    SELECT tracking INTO v_tracking FROM workcell.item WHERE id = l.item_id;
    IF v_tracking = 'serial' THEN
        SELECT * INTO s FROM workcell.serial WHERE id = NEW.serial_id;
        IF s.lot_id IS DISTINCT FROM l.id OR NEW.quantity <> 1 OR s.bin_id IS DISTINCT FROM NEW.bin_id
           OR s.status <> 'in_stock' THEN
            RAISE EXCEPTION 'Pick serials of lot % one by one, from the bin they are in', l.lot_number
                USING ERRCODE = 'WC067';
        END IF;
    ELSIF NEW.serial_id IS NOT NULL THEN
        RAISE EXCEPTION 'Lot % has no serials', l.lot_number USING ERRCODE = 'WC067';
    END IF;
    SELECT coalesce(sum(quantity), 0) INTO v_have FROM workcell.on_hand WHERE lot_id = l.id AND bin_id = NEW.bin_id;
    IF v_have < NEW.quantity + coalesce((SELECT sum(x.quantity) FROM workcell.shipment_line x
                                          WHERE x.shipment_id = sh.id AND x.lot_id = l.id AND x.bin_id = NEW.bin_id), 0) THEN
        RAISE EXCEPTION 'Lot % has % % in that bin: not enough for this shipment', l.lot_number,
            trim_scale(v_have), l.unit USING ERRCODE = 'WC061';
    END IF;
    RETURN NEW;
END $$;
