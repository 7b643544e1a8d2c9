-- Scrap and count adjustments of a held lot are refused: a hold freezes the lot as it is
-- until its own source decides (a QA signature, the NCR's disposition), and scrapping or
-- recounting it first would change the evidence the hold is about. The lot row is locked
-- first, as the ledger's trigger and a hold's placement do, so a hold and a scrap never
-- cross. WC062 (the lot-on-hold refusal every use shares).
CREATE FUNCTION workcell.inventory_txn_not_held() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l workcell.lot;
    v_hold workcell.hold;
BEGIN
    IF NEW.kind NOT IN ('scrap', 'adjust') THEN
        RETURN NEW;
    END IF;
    SELECT * INTO l FROM workcell.lot WHERE id = NEW.lot_id FOR NO KEY UPDATE;
    SELECT * INTO v_hold FROM workcell.hold h WHERE h.lot_id = NEW.lot_id AND h.status = 'open' ORDER BY h.id LIMIT 1;
    IF v_hold.id IS NOT NULL THEN
        RAISE EXCEPTION 'Lot % is on hold (% hold %: %): it cannot be %', l.lot_number,
            upper(v_hold.source), v_hold.id, v_hold.reason,
            CASE NEW.kind WHEN 'scrap' THEN 'scrapped' ELSE 'adjusted' END
            USING ERRCODE = 'WC062', HINT = 'A held lot is dispositioned through its hold (QA, or the NCR): release or disposition it first.';
    END IF;
    RETURN NEW;
END $$;
