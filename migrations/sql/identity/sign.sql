-- The one way to sign. The function verifies the signer's badge/username + PIN proof
-- itself, records the method it verified, binds the content hash the database computes
-- (refusing when the record is not at the version and content the dialog showed), and
-- attributes the rest of the transaction to the signer through a session valid for this
-- transaction only (the station's own sign-in is untouched). One PIN entry signs every
-- record in p_records: [{"type": "item", "id": 42, "version": 3, "hash": "..."}, ...].
CREATE FUNCTION workcell.sign(p_challenge_id bigint, p_proof text, p_meaning text,
                              p_records jsonb, p_comment text DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET workcell.system_actor = ''
AS $$
DECLARE
    st workcell.station := auth.registered_station();
    c auth.challenge;
    u workcell.users;
    r record;
BEGIN
    IF p_records IS NULL OR jsonb_typeof(p_records) <> 'array' OR jsonb_array_length(p_records) = 0 THEN
        RAISE EXCEPTION 'Nothing to sign was given' USING ERRCODE = '22023';
    END IF;
    IF jsonb_array_length(p_records) > 500 THEN
        RAISE EXCEPTION 'At most 500 records can be signed at once' USING ERRCODE = '22023';
    END IF;
    IF p_comment IS NOT NULL AND length(p_comment) > 2000 THEN
        RAISE EXCEPTION 'A signature comment has at most 2000 characters' USING ERRCODE = '22001';
    END IF;
    c := auth.verify_challenge(p_challenge_id, p_proof, 'sign');
    PERFORM auth.require_usable_pin(c);
    SELECT * INTO u FROM workcell.users WHERE id = c.user_id;
    PERFORM auth.act_as_prover(c, 'sign', left(p_meaning, 40));
    FOR r IN SELECT * FROM jsonb_to_recordset(p_records)
                 AS x(type text, id bigint, version integer, hash text) LOOP
        RETURN NEXT auth.apply_signature_for(u, c.method, r.type, r.id, p_meaning, p_comment,
                                             r.version, r.hash);
    END LOOP;
END $$;

CREATE FUNCTION auth.apply_signature_for(
    u workcell.users, p_method text, p_record_type text, p_record_id bigint, p_meaning text,
    p_comment text, p_expected_version integer, p_expected_hash text
) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t workcell.signable_type;
    r workcell.signing_rule;
    s workcell.signature;
    v_version integer;
    v_author bigint;
BEGIN
    IF u.kind <> 'person' THEN
        PERFORM workcell.signature_refused('Only a person can sign; system actors cannot.');
    END IF;
    SELECT * INTO t FROM workcell.signable_type WHERE record_type = p_record_type;
    IF t.record_type IS NULL THEN
        PERFORM workcell.signature_refused(format('Records of type "%s" cannot be signed.', p_record_type));
    END IF;
    SELECT * INTO r FROM workcell.signing_rule WHERE record_type = p_record_type AND meaning = p_meaning;
    IF r.meaning IS NULL THEN
        PERFORM workcell.signature_refused(format('A %s cannot be signed as "%s". Meanings allowed: %s.',
            p_record_type, p_meaning, coalesce((SELECT string_agg(meaning, ', ' ORDER BY meaning)
              FROM workcell.signing_rule WHERE record_type = p_record_type), 'none')));
    END IF;
    PERFORM workcell.check_signer(u, t, r);
    IF p_expected_version IS NULL OR p_expected_hash IS NULL THEN
        PERFORM workcell.signature_refused(
            'The signing dialog must send the version and content hash it showed.');
    END IF;
    EXECUTE format('SELECT version, %s FROM %s WHERE id = $1 FOR UPDATE',
                   coalesce(quote_ident(t.author_column), 'NULL::bigint'), t.table_name)
       INTO v_version, v_author USING p_record_id;
    IF v_version IS NULL THEN
        PERFORM workcell.signature_refused(format('There is no %s with id %s.', p_record_type, p_record_id));
    END IF;
    IF p_expected_version <> v_version THEN
        RAISE EXCEPTION 'This % changed (now version %, you saw version %). Reload it and sign again.',
            p_record_type, v_version, p_expected_version USING ERRCODE = 'WC004';
    END IF;
    s.content_hash := workcell.record_content_hash(p_record_type, p_record_id);
    IF s.content_hash <> p_expected_hash THEN
        RAISE EXCEPTION 'This % is not what the dialog showed (its content changed). Reload it and sign again.',
            p_record_type USING ERRCODE = 'WC004';
    END IF;
    PERFORM workcell.check_sequence(u, r, p_record_id, v_version, v_author, s.content_hash);

    s.id := nextval(pg_get_serial_sequence('workcell.signature', 'id'));
    s.record_type := p_record_type; s.record_table := t.table_name::text;
    s.record_id := p_record_id; s.record_version := v_version; s.meaning := p_meaning;
    s.signer_id := u.id; s.printed_name := u.printed_name; s.signed_at := clock_timestamp();
    s.method := p_method; s.station := session_user;
    s.comment := nullif(btrim(coalesce(p_comment, '')), '');
    s.version := 1;
    s.binding_hash := workcell.signature_binding(s);
    INSERT INTO workcell.signature OVERRIDING SYSTEM VALUE VALUES (s.*);
    RETURN s.id;
END $$;
