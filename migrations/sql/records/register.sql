-- The only way to write a record copy: who is the session holder (record.copy), when is the
-- server's clock, where is the station login. The caller supplies only what it made.
CREATE FUNCTION workcell.record_copy_register(
    p_record_type text, p_record_key text, p_work_order_id bigint, p_lot_id bigint,
    p_json_sha256 text, p_pdf_sha256 text, p_template_sha256 text, p_pages integer
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    u workcell.users;
    v_id bigint;
BEGIN
    u := workcell.require_permission('record.copy');
    IF p_record_type IS NULL OR p_record_type NOT IN ('work_order', 'lot') THEN
        RAISE EXCEPTION 'A record copy is of a work order or a lot, not %', coalesce(p_record_type, 'nothing')
            USING ERRCODE = 'WC140';
    END IF;
    IF p_work_order_id IS NULL AND p_lot_id IS NULL THEN
        RAISE EXCEPTION 'A record copy names its work order or lot' USING ERRCODE = 'WC140';
    END IF;
    IF p_work_order_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workcell.work_order WHERE id = p_work_order_id) THEN
        RAISE EXCEPTION 'There is no work order %', p_work_order_id USING ERRCODE = 'WC140';
    END IF;
    IF p_lot_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workcell.lot WHERE id = p_lot_id) THEN
        RAISE EXCEPTION 'There is no lot %', p_lot_id USING ERRCODE = 'WC140';
    END IF;
    IF coalesce(p_json_sha256, '') !~ '^[0-9a-f]{64}$' OR coalesce(p_pdf_sha256, '') !~ '^[0-9a-f]{64}$'
       OR coalesce(p_template_sha256, '') !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'A record copy names SHA-256 digests (64 lowercase hex)' USING ERRCODE = 'WC140';
    END IF;
    IF EXISTS (SELECT 1 FROM workcell.record_copy WHERE pdf_sha256 = p_pdf_sha256) THEN
        RAISE EXCEPTION 'This PDF is registered already' USING ERRCODE = 'WC141';
    END IF;
    PERFORM set_config('workcell.reason',
        coalesce(nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), ''),
                 format('record copy of %s %s printed', replace(p_record_type, '_', ' '), p_record_key)), true);
    INSERT INTO workcell.record_copy (record_type, record_key, work_order_id, lot_id, json_sha256, pdf_sha256,
                                      template_sha256, pages, made_by, made_at, station)
    VALUES (p_record_type, left(btrim(coalesce(p_record_key, '')), 80), p_work_order_id, p_lot_id, p_json_sha256,
            p_pdf_sha256, p_template_sha256, coalesce(p_pages, 0), u.id, clock_timestamp(), session_user)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
