-- A receipt against a PO line, checked the same way before and at the insert: the lot's
-- trigger (under the line's lock) and the receiving screen's pre-check (before the person
-- confirms anything) both ask po_receipt_refusal. WC075 over the open quantity, WC076 line
-- rules (another item or supplier, closed).

CREATE FUNCTION workcell.po_receipt_refusal(p workcell.purchase_order_line, p_item_id bigint,
                                            p_supplier_id bigint, p_origin text, p_quantity numeric)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_what text := format('PO %s line %s', p.po_number, p.line_no);
    v_unit text;
    v_ordered numeric;
    v_received numeric;
BEGIN
    IF p_origin <> 'received' OR p.item_id <> p_item_id OR p.supplier_id IS DISTINCT FROM p_supplier_id THEN
        RAISE EXCEPTION '% is for % from %, not this item and supplier', v_what,
            (SELECT item_number FROM workcell.item WHERE id = p.item_id),
            (SELECT code FROM workcell.supplier WHERE id = p.supplier_id)
            USING ERRCODE = 'WC076', HINT = 'Check the delivery note: wrong PO, wrong item or wrong supplier.';
    END IF;
    IF p.status <> 'open' THEN
        RAISE EXCEPTION '% is closed: nothing more is received against it', v_what
            USING ERRCODE = 'WC076', HINT = 'Ask purchasing to reopen the line or add one.';
    END IF;
    SELECT unit INTO v_unit FROM workcell.item WHERE id = p.item_id;
    v_ordered := workcell.to_base_unit(p.item_id, p.ordered_quantity, p.unit, v_what);
    v_received := workcell.po_line_received(p.id);
    IF p_quantity > v_ordered - v_received THEN
        RAISE EXCEPTION '% % is more than is open on %: ordered % %, received % %, open % %',
            trim_scale(p_quantity), v_unit, v_what, trim_scale(p.ordered_quantity), p.unit,
            trim_scale(v_received), v_unit, trim_scale(greatest(v_ordered - v_received, 0)), v_unit
            USING ERRCODE = 'WC075', HINT = 'Receive only what is open (someone may have received against it meanwhile), or ask purchasing to amend the order.';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION workcell.lot_po_receipt() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p workcell.purchase_order_line;
BEGIN
    IF NEW.po_line_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- the line's row lock serialises receipts against it (READ COMMITTED: the sum is read
    -- after the lock is granted, so it includes a receipt that just committed)
    SELECT * INTO p FROM workcell.purchase_order_line WHERE id = NEW.po_line_id FOR UPDATE;
    PERFORM workcell.po_receipt_refusal(p, NEW.item_id, NEW.supplier_id, NEW.origin, NEW.quantity);
    RETURN NEW;
END $$;

-- The receiving station's pre-check: the PO line a reference names for this item and
-- supplier (NULL: no PO on file under that number, kept as text), refused exactly as the
-- receipt would be. Reads only; the receipt checks again under the line's lock.
CREATE FUNCTION workcell.check_po_receipt(p_po text, p_item_id bigint, p_supplier_id bigint, p_quantity numeric)
RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_line bigint;
    p workcell.purchase_order_line;
BEGIN
    PERFORM workcell.require_permission('lot.receive');
    IF NOT EXISTS (SELECT 1 FROM workcell.item WHERE id = p_item_id) THEN
        RAISE EXCEPTION 'There is no item %', p_item_id USING ERRCODE = 'WC066';
    END IF;
    v_line := workcell.po_line_for_receipt(p_po, p_item_id, p_supplier_id);
    IF v_line IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO p FROM workcell.purchase_order_line WHERE id = v_line;
    PERFORM workcell.po_receipt_refusal(p, p_item_id, p_supplier_id, 'received',
                                        workcell.to_base_unit(p_item_id, p_quantity, NULL, 'the receipt'));
    RETURN v_line;
END $$;
