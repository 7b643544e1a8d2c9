-- True copies of single records (issue 15 item 3, docs/records.md): an item, a BOM or routing
-- revision, an ECO, a lot, a deviation, an inspection, an NCR or a CAPA, copied with its
-- signatures and audit excerpt by the same mechanism as the batch record. A copy now names
-- its record (record_type, record_id), carries the record's content hash at copy time (what
-- its signatures are bound to), and may be the JSON twin alone (format 'json': no PDF).
SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0024: true copies of single records', true);

ALTER TABLE workcell.record_copy
    ADD COLUMN record_id bigint,
    ADD COLUMN content_hash text CONSTRAINT ck_record_copy_content_hash CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN format text NOT NULL DEFAULT 'pdf' CONSTRAINT ck_record_copy_format CHECK (format IN ('pdf', 'json'));
ALTER TABLE workcell.record_copy DROP CONSTRAINT ck_record_copy_record_type;
ALTER TABLE workcell.record_copy ADD CONSTRAINT ck_record_copy_record_type CHECK (record_type IN
    ('work_order', 'item', 'bom_revision', 'routing_revision', 'eco', 'lot', 'deviation', 'inspection', 'ncr', 'capa'));
ALTER TABLE workcell.record_copy DROP CONSTRAINT ck_record_copy_subject;
ALTER TABLE workcell.record_copy ADD CONSTRAINT ck_record_copy_subject
    CHECK (record_id IS NOT NULL OR work_order_id IS NOT NULL OR lot_id IS NOT NULL);
ALTER TABLE workcell.record_copy ALTER COLUMN pdf_sha256 DROP NOT NULL;
ALTER TABLE workcell.record_copy DROP CONSTRAINT ck_record_copy_pages;
ALTER TABLE workcell.record_copy ADD CONSTRAINT ck_record_copy_pages CHECK (
    (format = 'pdf' AND pdf_sha256 IS NOT NULL AND pages > 0)
    OR (format = 'json' AND pdf_sha256 IS NULL AND pages = 0));
CREATE INDEX ix_record_copy_record ON workcell.record_copy (record_type, record_id);

-- The one way to register a copy (replaces 0020's): the caller names the record by type and
-- id and supplies only the digests of what it made; the record's key, its work order and lot,
-- its content hash, who, when and where are the database's.
DROP FUNCTION workcell.record_copy_register(text, text, bigint, bigint, text, text, text, integer);
CREATE FUNCTION workcell.record_copy_register(
    p_record_type text, p_record_id bigint, p_format text,
    p_json_sha256 text, p_pdf_sha256 text, p_template_sha256 text, p_pages integer
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    u workcell.users;
    v_id bigint;
    v_key text;
    v_wo bigint;
    v_lot bigint;
    v_pdf boolean;
BEGIN
    u := workcell.require_permission('record.copy');
    IF p_record_type IS NULL OR p_record_type NOT IN ('work_order', 'item', 'bom_revision', 'routing_revision',
                                                      'eco', 'lot', 'deviation', 'inspection', 'ncr', 'capa') THEN
        RAISE EXCEPTION 'A true copy is made of a work order (its batch record), an item, a BOM or routing revision, an ECO, a lot, a deviation, an inspection, an NCR or a CAPA, not %',
            coalesce(p_record_type, 'nothing') USING ERRCODE = 'WC180';
    END IF;
    IF p_format IS NULL OR p_format NOT IN ('pdf', 'json') THEN
        RAISE EXCEPTION 'A true copy is a PDF (with its JSON twin) or the JSON twin alone, not %',
            coalesce(p_format, 'nothing') USING ERRCODE = 'WC180';
    END IF;
    v_key := CASE p_record_type
        WHEN 'work_order' THEN (SELECT number FROM workcell.work_order WHERE id = p_record_id)
        WHEN 'item' THEN (SELECT item_number FROM workcell.item WHERE id = p_record_id)
        WHEN 'bom_revision' THEN (SELECT i.item_number || ':' || r.revision FROM workcell.bom_revision r
                                    JOIN workcell.item i ON i.id = r.item_id WHERE r.id = p_record_id)
        WHEN 'routing_revision' THEN (SELECT i.item_number || ':' || r.revision FROM workcell.routing_revision r
                                        JOIN workcell.item i ON i.id = r.item_id WHERE r.id = p_record_id)
        WHEN 'eco' THEN (SELECT number FROM workcell.eco WHERE id = p_record_id)
        WHEN 'lot' THEN (SELECT lot_number FROM workcell.lot WHERE id = p_record_id)
        WHEN 'deviation' THEN (SELECT number FROM workcell.deviation WHERE id = p_record_id)
        WHEN 'inspection' THEN (SELECT number FROM workcell.inspection WHERE id = p_record_id)
        WHEN 'ncr' THEN (SELECT number FROM workcell.ncr WHERE id = p_record_id)
        WHEN 'capa' THEN (SELECT number FROM workcell.capa WHERE id = p_record_id)
    END;
    IF v_key IS NULL THEN
        RAISE EXCEPTION 'There is no % with id %', replace(p_record_type, '_', ' '), coalesce(p_record_id::text, 'NULL')
            USING ERRCODE = 'WC181';
    END IF;
    v_pdf := p_format = 'pdf';
    IF coalesce(p_json_sha256, '') !~ '^[0-9a-f]{64}$' OR coalesce(p_template_sha256, '') !~ '^[0-9a-f]{64}$'
       OR (v_pdf AND coalesce(p_pdf_sha256, '') !~ '^[0-9a-f]{64}$') THEN
        RAISE EXCEPTION 'A record copy names SHA-256 digests (64 lowercase hex)' USING ERRCODE = 'WC140';
    END IF;
    IF NOT v_pdf AND p_pdf_sha256 IS NOT NULL THEN
        RAISE EXCEPTION 'A JSON copy has no PDF digest' USING ERRCODE = 'WC140';
    END IF;
    IF v_pdf AND coalesce(p_pages, 0) < 1 THEN
        RAISE EXCEPTION 'A PDF copy has at least one page' USING ERRCODE = 'WC140';
    END IF;
    IF (v_pdf AND EXISTS (SELECT 1 FROM workcell.record_copy WHERE pdf_sha256 = p_pdf_sha256))
       OR EXISTS (SELECT 1 FROM workcell.record_copy WHERE json_sha256 = p_json_sha256 AND format = p_format) THEN
        RAISE EXCEPTION 'This copy is registered already' USING ERRCODE = 'WC141';
    END IF;
    IF p_record_type = 'work_order' THEN
        SELECT id, output_lot_id INTO v_wo, v_lot FROM workcell.work_order WHERE id = p_record_id;
    ELSIF p_record_type = 'lot' THEN
        v_lot := p_record_id;
    ELSIF p_record_type = 'deviation' THEN
        SELECT work_order_id INTO v_wo FROM workcell.deviation WHERE id = p_record_id;
    END IF;
    PERFORM set_config('workcell.reason',
        coalesce(nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), ''),
                 format('true copy of %s %s made', replace(p_record_type, '_', ' '), v_key)), true);
    INSERT INTO workcell.record_copy (record_type, record_key, record_id, work_order_id, lot_id, format,
                                      json_sha256, pdf_sha256, template_sha256, content_hash, pages,
                                      made_by, made_at, station)
    VALUES (p_record_type, left(v_key, 80), p_record_id, v_wo, v_lot, p_format, p_json_sha256,
            CASE WHEN v_pdf THEN p_pdf_sha256 END, p_template_sha256,
            workcell.record_content_hash(p_record_type, p_record_id),
            CASE WHEN v_pdf THEN p_pages ELSE 0 END, u.id, clock_timestamp(), session_user)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
