-- Labels issued: one append-only row per print or file (copies, format, destination, the
-- element string encoded), written only by workcell.issue_label. Refusals: WC078.

CREATE FUNCTION workcell.issue_label(p_lot_id bigint, p_serial_id bigint, p_copies integer,
                                     p_format text, p_destination text, p_element_string text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    l workcell.lot;
    s workcell.serial;
    v_id bigint;
    v_gs text := chr(29);
BEGIN
    PERFORM workcell.require_permission('label.print');
    SELECT * INTO l FROM workcell.lot WHERE id = p_lot_id;
    IF l.id IS NULL THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC078';
    END IF;
    IF p_serial_id IS NOT NULL THEN
        SELECT * INTO s FROM workcell.serial WHERE id = p_serial_id;
        IF s.lot_id IS DISTINCT FROM l.id THEN
            RAISE EXCEPTION 'Serial % is not in lot %', p_serial_id, l.lot_number USING ERRCODE = 'WC078';
        END IF;
    END IF;
    IF p_copies IS NULL OR p_copies NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'Print 1 to 500 copies of a label' USING ERRCODE = 'WC078';
    END IF;
    -- the label carries this lot's number (AI 10) and, for a serial, its serial (AI 21),
    -- each a whole element (ended by GS or the end of the string)
    IF p_element_string IS NULL OR strpos(p_element_string || v_gs, '10' || l.lot_number || v_gs) = 0
       OR (s.id IS NOT NULL AND strpos(p_element_string || v_gs, '21' || s.serial_number || v_gs) = 0) THEN
        RAISE EXCEPTION 'The label does not carry lot %', l.lot_number || coalesce(' serial ' || s.serial_number, '')
            USING ERRCODE = 'WC078';
    END IF;
    IF nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '') IS NULL THEN
        PERFORM set_config('workcell.reason', left(format('label for lot %s%s', l.lot_number,
                                                          coalesce(' serial ' || s.serial_number, '')), 200), true);
    END IF;
    INSERT INTO workcell.label_issue (lot_id, serial_id, copies, format, destination, element_string, reprint)
    VALUES (l.id, s.id, p_copies, p_format, left(coalesce(nullif(btrim(p_destination), ''), '-'), 200),
            p_element_string,
            EXISTS (SELECT 1 FROM workcell.label_issue x WHERE x.lot_id = l.id AND x.serial_id IS NOT DISTINCT FROM s.id))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
