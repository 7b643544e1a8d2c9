-- NCRs raised from a deviation (migration 0036). The origin existed since 0018, with nothing
-- to name: an NCR from a deviation now names it (one NCR per deviation), and its affected
-- lot is the deviation's work order's output lot unless the NCR names its lots. The NCR's
-- signed content names the deviation (others keep their hashes).

ALTER TABLE workcell.ncr
    ADD COLUMN deviation_id bigint CONSTRAINT fk_ncr_deviation_id REFERENCES workcell.deviation (id);
-- NOT VALID: an NCR raised with origin 'deviation' before this migration named none; every
-- new row is checked
ALTER TABLE workcell.ncr
    ADD CONSTRAINT ck_ncr_from_deviation CHECK ((origin = 'deviation') = (deviation_id IS NOT NULL)) NOT VALID;
CREATE UNIQUE INDEX uq_ncr_deviation ON workcell.ncr (deviation_id) WHERE deviation_id IS NOT NULL;
COMMENT ON COLUMN workcell.ncr.deviation_id IS 'An NCR raised from a deviation: that deviation (migration 0036).';

-- The NCR as 0018 raised it, and the deviation it comes from.
CREATE FUNCTION workcell.raise_ncr(p_origin text, p_inspection bigint, p_deviation bigint, p_lots bigint[],
                                   p_title text, p_description text, p_severity integer, p_occurrence integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    n workcell.ncr;
    i workcell.inspection;
    v workcell.deviation;
    r record;
    v_lots bigint[] := coalesce(p_lots, '{}');
    v_lot bigint;
BEGIN
    PERFORM workcell.require_permission('quality.ncr.raise');
    SELECT * INTO r FROM workcell.risk_class_of(p_severity, p_occurrence);
    IF r.matrix_id IS NULL THEN
        RAISE EXCEPTION 'Severity % and occurrence % are not on the released risk matrix', p_severity, p_occurrence
            USING ERRCODE = 'WC128', HINT = 'Both are 1 to 5.';
    END IF;
    IF p_origin = 'inspection' THEN
        SELECT * INTO i FROM workcell.inspection WHERE id = p_inspection FOR UPDATE;
        IF i.status IS DISTINCT FROM 'completed' OR i.ncr_id IS NOT NULL THEN
            RAISE EXCEPTION 'An NCR is raised from a completed inspection not yet dispositioned' USING ERRCODE = 'WC123';
        END IF;
        v_lots := array_prepend(i.lot_id, array_remove(v_lots, i.lot_id));
    ELSIF p_inspection IS NOT NULL THEN
        RAISE EXCEPTION 'Only an NCR from an inspection names one' USING ERRCODE = 'WC123';
    END IF;
    IF p_origin = 'deviation' THEN
        SELECT * INTO v FROM workcell.deviation WHERE id = p_deviation;
        IF v.id IS NULL THEN
            RAISE EXCEPTION 'An NCR from a deviation names a deviation that exists' USING ERRCODE = 'WC123';
        END IF;
        IF EXISTS (SELECT 1 FROM workcell.ncr x WHERE x.deviation_id = v.id) THEN
            RAISE EXCEPTION 'Deviation % already has NCR %', v.number,
                (SELECT x.number FROM workcell.ncr x WHERE x.deviation_id = v.id) USING ERRCODE = 'WC123';
        END IF;
        -- the work order's output lot is affected unless the NCR names its lots itself
        IF cardinality(v_lots) = 0 THEN
            v_lots := coalesce((SELECT ARRAY[w.output_lot_id] FROM workcell.work_order w
                                 WHERE w.id = v.work_order_id AND w.output_lot_id IS NOT NULL), '{}');
        END IF;
    ELSIF p_deviation IS NOT NULL THEN
        RAISE EXCEPTION 'Only an NCR from a deviation names one' USING ERRCODE = 'WC123';
    END IF;
    IF cardinality(v_lots) = 0 THEN
        RAISE EXCEPTION 'An NCR names the lots it concerns' USING ERRCODE = 'WC123';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(v_lots) x (id) WHERE NOT EXISTS (SELECT 1 FROM workcell.lot l WHERE l.id = x.id)) THEN
        RAISE EXCEPTION 'An NCR names lots that exist' USING ERRCODE = 'WC123';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left('NCR raised: ' || coalesce(p_title, ''), 500), true);
    END IF;
    INSERT INTO workcell.ncr (number, origin, inspection_id, deviation_id, title, description, severity, occurrence,
                              matrix_id, risk_class)
    VALUES ('NCR' || to_char(now() AT TIME ZONE 'UTC', 'YYMM') || '-' || lpad(nextval('workcell.ncr_number_seq')::text, 5, '0'),
            p_origin, p_inspection, p_deviation, btrim(p_title), btrim(p_description), p_severity, p_occurrence,
            r.matrix_id, r.risk_class)
    RETURNING * INTO n;
    IF p_origin = 'inspection' THEN
        UPDATE workcell.inspection SET ncr_id = n.id, version = version + 1 WHERE id = p_inspection;
    END IF;
    FOREACH v_lot IN ARRAY v_lots LOOP
        PERFORM workcell.ncr_hold_lot(n, v_lot, 'direct');
    END LOOP;
    -- forward trace: every lot made from an affected lot, with stock left
    FOR r IN WITH RECURSIVE reach (lot_id) AS (
                 SELECT e.child_lot_id FROM workcell.genealogy_edge e WHERE e.parent_lot_id = ANY (v_lots)
                 UNION SELECT e.child_lot_id FROM workcell.genealogy_edge e JOIN reach ON e.parent_lot_id = reach.lot_id)
             SELECT reach.lot_id FROM reach JOIN workcell.lot l ON l.id = reach.lot_id
              WHERE l.status IN ('quarantine', 'released') AND reach.lot_id <> ALL (v_lots)
              ORDER BY reach.lot_id LOOP
        PERFORM workcell.ncr_hold_lot(n, r.lot_id, 'forward_trace');
    END LOOP;
    RETURN n.id;
END $$;

-- One way to raise an NCR: 0018's signature (no deviation) is dropped; its callers pass NULL.
DROP FUNCTION workcell.raise_ncr(text, bigint, bigint[], text, text, integer, integer);

-- The NCR's signed content names the deviation it comes from (others keep their hashes).
CREATE OR REPLACE FUNCTION workcell.ncr_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'type', 'ncr', 'number', n.number, 'origin', n.origin, 'inspection', n.inspection_id,
        'title', n.title, 'description', n.description, 'severity', n.severity, 'occurrence', n.occurrence,
        'matrix', n.matrix_id, 'risk_class', n.risk_class, 'disposition', n.disposition,
        'disposition_note', n.disposition_note, 'created_by', n.created_by,
        'lots', (SELECT coalesce(jsonb_agg(jsonb_build_array(l.lot_number, x.via) ORDER BY l.lot_number), '[]')
                   FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id WHERE x.ncr_id = n.id))
      || CASE WHEN n.deviation_id IS NOT NULL
              THEN jsonb_build_object('deviation', (SELECT v.number FROM workcell.deviation v WHERE v.id = n.deviation_id))
              ELSE '{}'::jsonb END
      FROM workcell.ncr n WHERE n.id = p_id
$$;
