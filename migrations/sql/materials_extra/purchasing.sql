-- Purchase-order lines and the receipts that count against them. The open quantity of a
-- line is its ordered quantity (in the item's unit, converted exactly) less every lot
-- received against it; a receipt over the open quantity is refused by the lot's BEFORE
-- INSERT trigger, which locks the line first: two stations receiving the last open
-- quantity at once queue on the line, and the second sees the first's lot. Refusals:
-- WC075 (over the PO), WC076 (PO line rules).

-- What has been received against a line, in the item's unit.
CREATE FUNCTION workcell.po_line_received(p_line_id bigint) RETURNS numeric
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(sum(l.quantity), 0) FROM workcell.lot l WHERE l.po_line_id = p_line_id
$$;

-- Lines are kept by holders of purchasing.manage: the supplier must be approved for the
-- item, the unit the item's or one it converts from exactly; a line's PO, number, item,
-- supplier and unit never change; the ordered quantity may be amended, never below what
-- was received.
CREATE FUNCTION workcell.po_line_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_what text := format('PO %s line %s', NEW.po_number, NEW.line_no);
    v_ordered numeric;
    v_received numeric;
    v_item workcell.item;
BEGIN
    PERFORM workcell.require_permission('purchasing.manage');
    SELECT * INTO v_item FROM workcell.item WHERE id = NEW.item_id;
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM workcell.approved_supplier a WHERE a.item_id = NEW.item_id
                          AND a.supplier_id = NEW.supplier_id AND a.status = 'approved') THEN
            RAISE EXCEPTION 'Supplier % is not approved for %: no order line for it',
                (SELECT code FROM workcell.supplier WHERE id = NEW.supplier_id), v_item.item_number
                USING ERRCODE = 'WC065';
        END IF;
        NEW.status := 'open';
    ELSIF (NEW.po_number, NEW.line_no, NEW.item_id, NEW.supplier_id, NEW.unit, NEW.created_at, NEW.created_by)
          IS DISTINCT FROM (OLD.po_number, OLD.line_no, OLD.item_id, OLD.supplier_id, OLD.unit, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION '% keeps its item, supplier and unit: only the quantity, note and status change', v_what
            USING ERRCODE = 'WC076', HINT = 'Add a new line for anything else.';
    END IF;
    v_ordered := workcell.to_base_unit(NEW.item_id, NEW.ordered_quantity, NEW.unit, v_what);
    IF TG_OP = 'UPDATE' THEN
        v_received := workcell.po_line_received(NEW.id);
        IF v_ordered < v_received THEN
            RAISE EXCEPTION '% cannot be cut to % %: % % was received against it already', v_what,
                trim_scale(NEW.ordered_quantity), NEW.unit, trim_scale(v_received), v_item.unit
                USING ERRCODE = 'WC076';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- Before a received lot is written: the PO line it names is open, of this item and
-- supplier, and has at least this quantity open.
CREATE FUNCTION workcell.lot_po_receipt() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p workcell.purchase_order_line;
    v_what text;
    v_unit text;
    v_ordered numeric;
    v_received numeric;
BEGIN
    IF NEW.po_line_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- the line's row lock serialises receipts against it (READ COMMITTED: the sum below
    -- is read after the lock is granted, so it includes a receipt that just committed)
    SELECT * INTO p FROM workcell.purchase_order_line WHERE id = NEW.po_line_id FOR UPDATE;
    v_what := format('PO %s line %s', p.po_number, p.line_no);
    IF NEW.origin <> 'received' OR p.item_id <> NEW.item_id OR p.supplier_id IS DISTINCT FROM NEW.supplier_id THEN
        RAISE EXCEPTION '% is for another item or supplier', v_what USING ERRCODE = 'WC076';
    END IF;
    IF p.status <> 'open' THEN
        RAISE EXCEPTION '% is closed: nothing more is received against it', v_what
            USING ERRCODE = 'WC076', HINT = 'Ask purchasing to reopen the line or add one.';
    END IF;
    SELECT unit INTO v_unit FROM workcell.item WHERE id = p.item_id;
    v_ordered := workcell.to_base_unit(p.item_id, p.ordered_quantity, p.unit, v_what);
    v_received := workcell.po_line_received(p.id);
    IF NEW.quantity > v_ordered - v_received THEN
        RAISE EXCEPTION '% % is more than is open on %: ordered % %, received % %, open % %',
            trim_scale(NEW.quantity), v_unit, v_what, trim_scale(p.ordered_quantity), p.unit,
            trim_scale(v_received), v_unit, trim_scale(greatest(v_ordered - v_received, 0)), v_unit
            USING ERRCODE = 'WC075', HINT = 'Receive only what is open (someone may have received against it meanwhile), or ask purchasing to amend the order.';
    END IF;
    RETURN NEW;
END $$;

-- The PO reference a receipt names, as a line: "4711" or "4711/2" (PO 4711, line 2).
-- A PO number with no lines on file is kept as text only (NULL). Refused: a known PO with
-- no open line for this item and supplier, or several (name the line).
CREATE FUNCTION workcell.po_line_for_receipt(p_po text, p_item_id bigint, p_supplier_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ref text := upper(btrim(coalesce(p_po, '')));
    v_number text := split_part(v_ref, '/', 1);
    v_line text := nullif(split_part(v_ref, '/', 2), '');
    v_ids bigint[];
BEGIN
    IF v_ref = '' OR NOT EXISTS (SELECT 1 FROM workcell.purchase_order_line WHERE po_number = v_number) THEN
        RETURN NULL;
    END IF;
    IF v_line IS NOT NULL AND v_line !~ '^\d{1,4}$' THEN
        RAISE EXCEPTION 'PO reference % is not PO or PO/line', p_po USING ERRCODE = 'WC076';
    END IF;
    SELECT array_agg(id ORDER BY line_no) INTO v_ids FROM workcell.purchase_order_line
     WHERE po_number = v_number AND item_id = p_item_id AND supplier_id = p_supplier_id
       AND (v_line IS NULL OR line_no = v_line::int) AND (v_line IS NOT NULL OR status = 'open');
    IF v_ids IS NULL THEN
        RAISE EXCEPTION 'PO % has no % line for % from %', v_number, CASE WHEN v_line IS NULL THEN 'open' ELSE 'such' END,
            (SELECT item_number FROM workcell.item WHERE id = p_item_id),
            (SELECT code FROM workcell.supplier WHERE id = p_supplier_id)
            USING ERRCODE = 'WC076', HINT = 'Check the delivery note: wrong PO, wrong item or wrong supplier.';
    END IF;
    IF cardinality(v_ids) > 1 THEN
        RAISE EXCEPTION 'PO % has % open lines for this item: name the line (%/1 ...)', v_number,
            cardinality(v_ids), v_number USING ERRCODE = 'WC076';
    END IF;
    RETURN v_ids[1];
END $$;
