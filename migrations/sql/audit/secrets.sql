-- Secret columns in the trail (migration 0011): a keyed digest instead of "***".
--
-- "***" hid a swapped PIN verifier or badge digest from verify (rows versus trail compared
-- "***" with "***"). A plain SHA-256 of the secret would let anyone who reads the trail
-- (stations do) test guesses offline, so each secret is digested with HMAC-SHA-256 under a
-- key derived from the installation's pepper with its own label: a station never holds the
-- key, and the digest is never equal to a badge digest or a fake salt (the pepper's other
-- uses), so the trail is no oracle for them either.

-- The digest key. Not SECURITY DEFINER and not granted: only the owner's SECURITY DEFINER
-- functions (append_entry, rows_vs_trail) reach the pepper through it.
CREATE FUNCTION audit.digest_key() RETURNS bytea
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT auth.hmac_sha256(auth.pepper(), convert_to('workcell-audit-secret-v1', 'UTF8')) $$;

-- "hmac-sha256:<hex>" over "<column>:<value as jsonb text>" (the column name keeps a value
-- moved from one secret column to another from matching).
CREATE FUNCTION audit.secret_digest(p_key bytea, p_column text, p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'hmac-sha256:' || encode(auth.hmac_sha256(p_key,
               convert_to(p_column || ':' || p_value, 'UTF8')), 'hex')
$$;

-- An image with each named secret column (when present and not null) replaced by its digest.
CREATE FUNCTION audit.digest_secrets(p_key bytea, p_image jsonb, p_secrets text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_col text;
BEGIN
    IF p_image IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH v_col IN ARRAY coalesce(p_secrets, '{}') LOOP
        IF p_image ? v_col AND p_image->v_col <> 'null'::jsonb THEN
            p_image := jsonb_set(p_image, ARRAY[v_col],
                                 to_jsonb(audit.secret_digest(p_key, v_col, p_image->>v_col)));
        END IF;
    END LOOP;
    RETURN p_image;
END $$;

REVOKE ALL ON FUNCTION audit.digest_key(), audit.secret_digest(bytea, text, text),
    audit.digest_secrets(bytea, jsonb, text[]) FROM PUBLIC;
