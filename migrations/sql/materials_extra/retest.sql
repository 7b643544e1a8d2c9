-- Retest-date extension: after a retest, QA moves a lot's retest date later, signed
-- ("retest_extended", not by whoever received or produced the lot), with the reason and the
-- retest result's reference; every extension is kept (workcell.retest_extension). A lot past
-- its retest date stays refused for use (assert_lot_usable) until it is extended.
-- Refusals: WC077.

CREATE FUNCTION workcell.extend_retest(p_lot_id bigint, p_new_date date, p_reason text,
                                       p_reference text, p_signature_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    l workcell.lot;
    g workcell.signature;
    v_id bigint;
BEGIN
    PERFORM workcell.require_permission('lot.retest');
    SELECT * INTO l FROM workcell.lot WHERE id = p_lot_id FOR NO KEY UPDATE;
    IF l.id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC077';
    END IF;
    IF l.status NOT IN ('quarantine', 'released') THEN
        RAISE EXCEPTION 'Lot % is %: its retest date is no longer extended', l.lot_number, l.status
            USING ERRCODE = 'WC077';
    END IF;
    IF l.retest_date IS NULL THEN
        RAISE EXCEPTION 'Lot % has no retest date to extend', l.lot_number USING ERRCODE = 'WC077';
    END IF;
    IF p_new_date IS NULL OR p_new_date <= l.retest_date OR p_new_date <= workcell.plant_today() THEN
        RAISE EXCEPTION 'The new retest date of lot % must be after % and after today (%)', l.lot_number,
            l.retest_date, workcell.plant_today() USING ERRCODE = 'WC077';
    END IF;
    IF l.expiry_date IS NOT NULL AND p_new_date > l.expiry_date THEN
        RAISE EXCEPTION 'Lot % expires on %: a retest date never goes past the expiry date', l.lot_number,
            l.expiry_date USING ERRCODE = 'WC077', HINT = 'An expired lot is not retested into use.';
    END IF;
    IF nullif(btrim(coalesce(p_reason, '')), '') IS NULL OR nullif(btrim(coalesce(p_reference, '')), '') IS NULL THEN
        RAISE EXCEPTION 'A retest extension names its reason and the retest result (report or CoA reference)'
            USING ERRCODE = 'WC077';
    END IF;
    -- the extender's own "retest_extended" signature on this lot, made in this transaction,
    -- whose comment names the new date (what was signed is what is written)
    SELECT * INTO g FROM workcell.signature WHERE id = p_signature_id;
    IF g.id IS NULL OR g.record_type <> 'lot' OR g.record_id <> l.id OR g.meaning <> 'retest_extended'
       OR g.signer_id <> workcell.current_actor_id() OR g.signed_at < now()
       OR position(to_char(p_new_date, 'YYYY-MM-DD') IN coalesce(g.comment, '')) = 0 THEN
        RAISE EXCEPTION 'Extending the retest date of lot % needs the extender''s "retest_extended" signature on it, made now, naming %',
            l.lot_number, to_char(p_new_date, 'YYYY-MM-DD') USING ERRCODE = 'WC077';
    END IF;
    PERFORM set_config('workcell.reason', left(format('retest of lot %s extended to %s: %s', l.lot_number,
                                                      p_new_date, btrim(p_reason)), 500), true);
    INSERT INTO workcell.retest_extension (lot_id, old_retest_date, new_retest_date, reason, reference, signature_id)
    VALUES (l.id, l.retest_date, p_new_date, left(btrim(p_reason), 500), left(btrim(p_reference), 80), g.id)
    RETURNING id INTO v_id;
    UPDATE workcell.lot SET retest_date = p_new_date, version = version + 1 WHERE id = l.id;
    RETURN v_id;
END $$;

-- A lot's received facts are what was signed at release: only its status (a guarded move)
-- and version change — and its retest date, by a retest extension recorded in this same
-- transaction (workcell.extend_retest).
CREATE OR REPLACE FUNCTION workcell.lot_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY['status', 'version', 'retest_date']) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'version', 'retest_date']) THEN
        RAISE EXCEPTION 'Lot % keeps what was received: only its status changes, by its rules', OLD.lot_number
            USING ERRCODE = 'WC071', HINT = 'A wrong receipt is rejected and received again as a new lot.';
    END IF;
    IF NEW.retest_date IS DISTINCT FROM OLD.retest_date AND NOT EXISTS (
           SELECT 1 FROM workcell.retest_extension x
            WHERE x.lot_id = OLD.id AND x.tx_id = pg_current_xact_id()
              AND x.old_retest_date = OLD.retest_date AND x.new_retest_date = NEW.retest_date) THEN
        RAISE EXCEPTION 'The retest date of lot % changes only by a signed retest extension', OLD.lot_number
            USING ERRCODE = 'WC077';
    END IF;
    RETURN NEW;
END $$;

-- What is signed on a lot: as 0012's, with the retest date as received (an extension is
-- its own signed record, so the release signature keeps matching the lot's content).
CREATE OR REPLACE FUNCTION workcell.lot_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'lot', 'lot_number', l.lot_number, 'item', i.item_number, 'origin', l.origin,
        'supplier', s.code, 'supplier_lot', l.supplier_lot, 'po', l.po_reference, 'coa', l.coa_reference,
        'quantity', trim_scale(l.quantity)::text, 'unit', l.unit,
        'expiry', to_char(l.expiry_date, 'YYYY-MM-DD'),
        'retest', to_char(coalesce((SELECT x.old_retest_date FROM workcell.retest_extension x
                                     WHERE x.lot_id = l.id ORDER BY x.id LIMIT 1), l.retest_date), 'YYYY-MM-DD'),
        'manufactured', to_char(l.manufactured_date, 'YYYY-MM-DD'),
        'created_at', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'created_by', l.created_by,
        'serials', (SELECT count(*) FROM workcell.serial x WHERE x.lot_id = l.id))
      FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id
      LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
     WHERE l.id = p_id
$$;
