-- Switching rules (Z1.4 / ISO 2859-1, paraphrased in domain/quality/data/aql-switching-rules.md)
-- per item and supplier. Only original inspections count. Stations hold no write on
-- switching_state or switching_event: the completion of an inspection moves them (trigger,
-- SECURITY DEFINER), and QA's decisions (normal -> reduced with a score of 30, resuming a
-- discontinued supplier on tightened, back to normal by judgement) go through functions
-- that check the permission. Every move is a switching_event with its rule, a
-- status_transition (guarded) and an audit entry.

CREATE TYPE workcell.switching_step AS (status text, score integer, recent text, tightened_rejects integer, rule text);

-- One lot's effect on the state, without side effects (tests script histories through it).
-- p_decision 'accept'/'reject'; p_gap: accepted in the gap of a reduced plan (Ac < d < Re);
-- p_increment: the switching score gained on normal inspection (NULL: the score resets).
CREATE FUNCTION workcell.switching_next(p_status text, p_score integer, p_recent text, p_tightened_rejects integer,
                                        p_decision text, p_gap boolean, p_increment integer)
RETURNS workcell.switching_step
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r workcell.switching_step;
    v_mark text := CASE p_decision WHEN 'accept' THEN 'A' ELSE 'R' END;
    v_recent text := right(p_recent || v_mark, 5);
BEGIN
    r := ROW(p_status, p_score, v_recent, p_tightened_rejects, NULL)::workcell.switching_step;
    IF p_status = 'normal' THEN
        IF length(v_recent) - length(replace(v_recent, 'R', '')) >= 2 THEN
            RETURN ROW('tightened', 0, '', 0,
                       format('normal -> tightened: 2 lots rejected within the last %s consecutive lots (%s)',
                              length(v_recent), v_recent))::workcell.switching_step;
        END IF;
        r.score := CASE WHEN p_decision = 'accept' AND p_increment IS NOT NULL THEN p_score + p_increment ELSE 0 END;
    ELSIF p_status = 'tightened' THEN
        IF p_decision = 'reject' THEN
            r.tightened_rejects := p_tightened_rejects + 1;
            IF r.tightened_rejects >= 5 THEN
                RETURN ROW('discontinued', 0, '', r.tightened_rejects,
                           'tightened -> discontinued: 5 lots not accepted during this tightened run')::workcell.switching_step;
            END IF;
        ELSIF v_recent = 'AAAAA' THEN
            RETURN ROW('normal', 0, '', 0, 'tightened -> normal: 5 consecutive lots accepted on tightened inspection')::workcell.switching_step;
        END IF;
    ELSIF p_status = 'reduced' THEN
        IF p_decision = 'reject' THEN
            RETURN ROW('normal', 0, '', 0, 'reduced -> normal: a lot was rejected on reduced inspection')::workcell.switching_step;
        ELSIF p_gap THEN
            RETURN ROW('normal', 0, '', 0,
                       'reduced -> normal: lot accepted with a count between Ac and Re of the reduced plan')::workcell.switching_step;
        END IF;
    END IF;
    RETURN r;
END $$;

-- The score a lot on original normal inspection adds (NULL: reset), over its classes: a
-- plan with Ac >= 2 adds 3 when the count would also pass the plan one AQL step tighter
-- (same letter), else resets; a plan with Ac 0 or 1 adds 2 when accepted. Over several
-- classes the smallest gain counts, and any reset resets.
CREATE FUNCTION workcell.switching_increment(p_inspection bigint) RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i workcell.inspection;
    p workcell.inspection_plan;
    v_d integer;
    v_tight_ac integer;
    v_gain integer;
    v_min integer;
BEGIN
    SELECT * INTO i FROM workcell.inspection WHERE id = p_inspection;
    IF i.decision IS DISTINCT FROM 'accept' THEN
        RETURN NULL;
    END IF;
    FOR p IN SELECT * FROM workcell.inspection_plan WHERE inspection_id = p_inspection LOOP
        v_d := workcell.inspection_nonconforming(p_inspection, p.defect_class, p.sample_size);
        IF p.ac >= 2 THEN
            SELECT c.ac INTO v_tight_ac FROM workcell.z14_cell c
             WHERE c.data_version = i.data_version AND c.severity = 'normal' AND c.letter = p.code_letter
               AND c.aql = workcell.z14_tighter_aql(i.data_version, p.aql);
            v_gain := CASE WHEN v_tight_ac IS NOT NULL AND v_d <= v_tight_ac THEN 3 END;
        ELSE
            v_gain := CASE WHEN v_d <= p.ac THEN 2 END;
        END IF;
        IF v_gain IS NULL THEN
            RETURN NULL;
        END IF;
        v_min := least(coalesce(v_min, v_gain), v_gain);
    END LOOP;
    RETURN v_min;
END $$;

-- The state for an item and supplier (created on normal the first time it is needed).
CREATE FUNCTION workcell.switching_state_for(p_item bigint, p_supplier bigint) RETURNS workcell.switching_state
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s workcell.switching_state;
BEGIN
    INSERT INTO workcell.switching_state (item_id, supplier_id) VALUES (p_item, p_supplier)
        ON CONFLICT (item_id, supplier_id) DO NOTHING;
    SELECT * INTO s FROM workcell.switching_state WHERE item_id = p_item AND supplier_id = p_supplier FOR UPDATE;
    RETURN s;
END $$;

-- Apply a step to a state row: the event when the status moves, the row always.
CREATE FUNCTION workcell.switching_apply(p_state workcell.switching_state, p_step workcell.switching_step,
                                         p_inspection bigint) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_step.status IS DISTINCT FROM p_state.status THEN
        INSERT INTO workcell.switching_event (state_id, inspection_id, from_status, to_status, rule, score_before, score_after)
        VALUES (p_state.id, p_inspection, p_state.status, p_step.status, p_step.rule, p_state.score, p_step.score);
    END IF;
    PERFORM set_config('workcell.reason', left(coalesce(p_step.rule,
        format('switching: lot of inspection %s counted', p_inspection)), 500), true);
    UPDATE workcell.switching_state
       SET status = p_step.status, score = p_step.score, recent = p_step.recent,
           tightened_rejects = p_step.tightened_rejects,
           last_rule = coalesce(p_step.rule, last_rule), version = version + 1
     WHERE id = p_state.id;
END $$;

-- After an inspection's completion (AFTER UPDATE trigger, after its transition guard).
CREATE FUNCTION workcell.inspection_completed_switch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    s workcell.switching_state;
    v_reason text := current_setting('workcell.reason', true);
BEGIN
    IF NEW.switching_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO s FROM workcell.switching_state WHERE id = NEW.switching_id FOR UPDATE;
    PERFORM workcell.switching_apply(s, workcell.switching_next(s.status, s.score, s.recent, s.tightened_rejects,
        NEW.decision, NEW.gap, workcell.switching_increment(NEW.id)), NEW.id);
    PERFORM set_config('workcell.reason', coalesce(v_reason, ''), true);
    RETURN NULL;
END $$;

-- QA's moves: normal -> reduced (score >= 30, production steady: QA's judgement and
-- signature of responsibility), discontinued -> tightened (the supplier corrected its
-- quality), reduced -> normal (production irregular or another reason QA states).
CREATE FUNCTION workcell.switching_move(p_item bigint, p_supplier bigint, p_to text, p_reason text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    s workcell.switching_state;
    v_rule text;
BEGIN
    PERFORM workcell.require_permission('quality.switching');
    IF nullif(btrim(coalesce(p_reason, '')), '') IS NULL THEN
        RAISE EXCEPTION 'Say why the inspection severity changes' USING ERRCODE = 'WC126';
    END IF;
    s := workcell.switching_state_for(p_item, p_supplier);
    v_rule := CASE
        WHEN s.status = 'normal' AND p_to = 'reduced' THEN
            format('normal -> reduced: switching score %s (>= 30), production steady, approved by QA: %s', s.score, btrim(p_reason))
        WHEN s.status = 'discontinued' AND p_to = 'tightened' THEN
            format('discontinued -> tightened: supplier corrective action accepted by QA: %s', btrim(p_reason))
        WHEN s.status = 'reduced' AND p_to = 'normal' THEN
            format('reduced -> normal: %s (QA)', btrim(p_reason))
        END;
    IF v_rule IS NULL THEN
        RAISE EXCEPTION 'Inspection for this item and supplier is %: QA cannot move it to % by hand', s.status, p_to
            USING ERRCODE = 'WC126',
                  HINT = 'QA moves normal -> reduced (score 30 or more), discontinued -> tightened, reduced -> normal; the rest follows the lots.';
    END IF;
    IF p_to = 'reduced' AND s.score < 30 THEN
        RAISE EXCEPTION 'The switching score is % : reduced inspection needs 30 or more', s.score USING ERRCODE = 'WC126';
    END IF;
    PERFORM workcell.switching_apply(s, ROW(p_to, 0, '', 0, left(v_rule, 300))::workcell.switching_step, NULL);
    RETURN v_rule;
END $$;

-- Normal -> reduced also in the guard (whoever writes the row): the score must be there.
CREATE FUNCTION workcell.switching_may_reduce(p_type text, p_new jsonb, p_old jsonb) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN (p_old->>'score')::integer < 30
                THEN format('Reduced inspection needs a switching score of 30 (it is %s).', p_old->>'score') END
$$;
