-- The materials gates the quality records add to (whole functions, replacing migration
-- 0012's versions in migrations/sql/materials/rules.sql).

-- Released only within its dates, with no hold open, a work order's output only once the
-- work order is reviewed and never by anyone who took part in it (migration 0013's checks,
-- kept here whole), and — when the lot was inspected — with the latest inspection released
-- by QA, or referred to an NCR dispositioned use-as-is or repair.
CREATE OR REPLACE FUNCTION workcell.lot_may_be_released(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_today date := workcell.plant_today();
    v_id bigint := (p_new->>'id')::bigint;
    i workcell.inspection;
    v_ncr workcell.ncr;
BEGIN
    IF (p_new->>'expiry_date')::date < v_today THEN
        RETURN format('Lot %s expired on %s: it cannot be released.', p_new->>'lot_number', p_new->>'expiry_date');
    END IF;
    IF (p_new->>'retest_date')::date < v_today THEN
        RETURN format('Lot %s is past its retest date %s: retest before release.', p_new->>'lot_number', p_new->>'retest_date');
    END IF;
    IF workcell.lot_is_held((p_new->>'id')::bigint) THEN
        RETURN format('Lot %s is on hold: the hold is released first.', p_new->>'lot_number');
    END IF;
    PERFORM workcell.assert_output_releasable(v_id, workcell.current_actor_id());
    PERFORM workcell.assert_output_releasable(v_id, s.signer_id)
       FROM workcell.signature s WHERE s.record_type = 'lot' AND s.record_id = v_id AND s.meaning = 'released'
      ORDER BY s.id DESC LIMIT 1;
    SELECT * INTO i FROM workcell.inspection WHERE lot_id = (p_new->>'id')::bigint ORDER BY id DESC LIMIT 1;
    IF i.id IS NOT NULL AND i.status <> 'released' THEN
        IF i.status = 'referred' THEN
            SELECT * INTO v_ncr FROM workcell.ncr WHERE id = i.ncr_id;
            IF v_ncr.status IN ('dispositioned', 'closed') AND v_ncr.disposition IN ('use_as_is', 'repair') THEN
                RETURN NULL;
            END IF;
            RETURN format('Lot %s is released only by the disposition of NCR %s (use as is or repair).',
                          p_new->>'lot_number', v_ncr.number);
        END IF;
        RETURN format('Lot %s is released only with an accepted disposition of inspection %s (it is %s).',
                      p_new->>'lot_number', i.number, i.status);
    END IF;
    RETURN NULL;
END $$;

-- Holds from an NCR close only once the NCR is dispositioned (its disposition closes them);
-- inspection holds with their inspection's record (in-process inspections: with work
-- orders, not built yet); a QA or recall hold with a QA signature.
CREATE OR REPLACE FUNCTION workcell.hold_may_close(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_new->>'source'
        WHEN 'ncr' THEN CASE WHEN NOT EXISTS (
                 SELECT 1 FROM workcell.ncr n WHERE n.number = p_new->>'source_ref' AND n.status = 'dispositioned')
             THEN format('Hold %s came from NCR %s: it closes only through the NCR''s disposition.', p_new->>'id', p_new->>'source_ref') END
        WHEN 'inspection' THEN format('Hold %s came from inspection %s: it closes only with the inspection''s result.', p_new->>'id', p_new->>'source_ref')
        END
$$;

-- An NCR hold names an open NCR (raise_ncr places them; one placed by hand joins that NCR's
-- holds and leaves with its disposition).
CREATE FUNCTION workcell.hold_names_its_ncr() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.source = 'ncr' AND NOT EXISTS (SELECT 1 FROM workcell.ncr n WHERE n.number = NEW.source_ref AND n.status = 'open') THEN
        RAISE EXCEPTION 'An NCR hold names an open NCR (% is not one)', coalesce(nullif(NEW.source_ref, ''), 'none given')
            USING ERRCODE = 'WC123', HINT = 'Raise the NCR: it holds its lots itself.';
    END IF;
    RETURN NEW;
END $$;
