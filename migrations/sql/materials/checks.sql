-- Rules every path shares (the ledger trigger, shipment lines, lot creation): "today" in the
-- plant's zone, whether a lot may be used, whether a zone accepts a lot. SECURITY INVOKER,
-- read-only; they raise the operator-readable refusal with the materials codes (WC060-WC071).

-- Today in the plant's time zone (workcell.materials_policy), never the session's TimeZone.
CREATE FUNCTION workcell.plant_today() RETURNS date
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (now() AT TIME ZONE coalesce((SELECT plant_timezone FROM workcell.materials_policy WHERE id = 1), 'UTC'))::date
$$;

CREATE FUNCTION workcell.lot_is_held(p_lot_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM workcell.hold h WHERE h.lot_id = p_lot_id AND h.status = 'open')
$$;

-- A lot used (consumed, shipped, moved to a production line or the shipping dock) must be
-- released, not held, and within its expiry and retest dates — whatever its status says.
CREATE FUNCTION workcell.assert_lot_usable(l workcell.lot, p_use text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_today date := workcell.plant_today();
    v_hold workcell.hold;
BEGIN
    IF l.expiry_date IS NOT NULL AND l.expiry_date < v_today THEN
        RAISE EXCEPTION 'Lot % expired on %: it cannot be %', l.lot_number, l.expiry_date, p_use
            USING ERRCODE = 'WC063', HINT = 'Move it to the reject zone and ask QA.';
    END IF;
    IF l.retest_date IS NOT NULL AND l.retest_date < v_today THEN
        RAISE EXCEPTION 'Lot % is past its retest date %: it cannot be % until it is retested',
            l.lot_number, l.retest_date, p_use
            USING ERRCODE = 'WC063', HINT = 'Ask QA for a retest.';
    END IF;
    SELECT * INTO v_hold FROM workcell.hold h WHERE h.lot_id = l.id AND h.status = 'open' ORDER BY h.id LIMIT 1;
    IF v_hold.id IS NOT NULL THEN
        RAISE EXCEPTION 'Lot % is on hold (% hold %: %): it cannot be %', l.lot_number,
            upper(v_hold.source), v_hold.id, v_hold.reason, p_use
            USING ERRCODE = 'WC062', HINT = 'Ask QA: the hold must be released first.';
    END IF;
    IF l.status IN ('consumed', 'shipped') THEN
        RAISE EXCEPTION 'Lot % has nothing left: all of it was % (it cannot be %)', l.lot_number, l.status, p_use
            USING ERRCODE = 'WC061', HINT = 'Someone may have used the last of it meanwhile: scan another lot.';
    END IF;
    IF l.status <> 'released' THEN
        RAISE EXCEPTION 'Lot % is %: only a released lot can be %', l.lot_number, l.status, p_use
            USING ERRCODE = 'WC064', HINT = CASE WHEN l.status = 'quarantine'
                THEN 'It waits for QA release.' ELSE 'It is no longer available.' END;
    END IF;
END $$;

-- A bin accepts a lot when its zone type allows the lot's status (and, for a held lot, is
-- one of the zone types held material may go to). Refusal names the zones allowed.
CREATE FUNCTION workcell.assert_bin_accepts(l workcell.lot, p_bin_id bigint) RETURNS workcell.zone
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    z workcell.zone;
    b workcell.bin;
    v_held boolean := workcell.lot_is_held(l.id);
BEGIN
    SELECT * INTO b FROM workcell.bin WHERE id = p_bin_id;
    SELECT * INTO z FROM workcell.zone WHERE id = b.zone_id;
    IF b.id IS NULL THEN
        RAISE EXCEPTION 'There is no bin %', p_bin_id USING ERRCODE = 'WC060';
    END IF;
    IF NOT b.active THEN
        RAISE EXCEPTION 'Bin % is not in use', b.code USING ERRCODE = 'WC060';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM workcell.zone_rule r WHERE r.zone_type = z.zone_type
                      AND r.lot_status = l.status AND (r.for_held OR NOT v_held)) THEN
        RAISE EXCEPTION 'Lot % (%) cannot go to bin % (% zone %)', l.lot_number,
            l.status || CASE WHEN v_held THEN ', on hold' ELSE '' END, b.code,
            replace(z.zone_type, '_', ' '), z.code
            USING ERRCODE = 'WC060', HINT = format('A %s%s lot may go to: %s.', l.status,
                CASE WHEN v_held THEN ' held' ELSE '' END,
                coalesce((SELECT string_agg(replace(r.zone_type, '_', ' '), ', ' ORDER BY r.zone_type)
                            FROM workcell.zone_rule r
                           WHERE r.lot_status = l.status AND (r.for_held OR NOT v_held)), 'nowhere'));
    END IF;
    RETURN z;
END $$;
