-- HMAC-SHA-256 (RFC 2104) from the built-in sha256(): the embedded server has no pgcrypto.
-- Checked against the RFC 4231 test vectors in tests/security/test_scram_primitives.py.
CREATE FUNCTION auth.xor_bytes(p_a bytea, p_b bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_out bytea := p_a;
BEGIN
    IF length(p_a) <> length(p_b) THEN
        RAISE EXCEPTION 'xor of % and % bytes', length(p_a), length(p_b) USING ERRCODE = '22023';
    END IF;
    FOR i IN 0 .. length(p_a) - 1 LOOP
        v_out := set_byte(v_out, i, get_byte(p_a, i) # get_byte(p_b, i));
    END LOOP;
    RETURN v_out;
END $$;

CREATE FUNCTION auth.hmac_sha256(p_key bytea, p_message bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key bytea := CASE WHEN length(p_key) > 64 THEN sha256(p_key) ELSE p_key END;
BEGIN
    v_key := v_key || decode(repeat('00', 64 - length(v_key)), 'hex');
    RETURN sha256(auth.xor_bytes(v_key, decode(repeat('5c', 64), 'hex'))
                  || sha256(auth.xor_bytes(v_key, decode(repeat('36', 64), 'hex')) || p_message));
END $$;

-- The raw argon2id output inside a PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash),
-- unpadded base64 as argon2-cffi writes it.
CREATE FUNCTION auth.b64_nopad(p text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT decode(rpad(p, ((length(p) + 3) / 4) * 4, '='), 'base64') $$;

-- SCRAM (RFC 5802 / 7677 with SHA-256): ClientKey = HMAC(SaltedPassword, "Client Key"),
-- StoredKey = H(ClientKey). The database keeps only StoredKey.
CREATE FUNCTION auth.stored_key(p_salted bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT sha256(auth.hmac_sha256(p_salted, convert_to('Client Key', 'UTF8'))) $$;

-- ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage); valid when H(recovered) = StoredKey.
CREATE FUNCTION auth.proof_is_valid(p_stored_key bytea, p_auth_message text, p_proof bytea)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_stored_key IS NOT NULL AND p_proof IS NOT NULL AND length(p_proof) = 32
       AND sha256(auth.xor_bytes(p_proof,
                  auth.hmac_sha256(p_stored_key, convert_to(p_auth_message, 'UTF8')))) = p_stored_key
$$;
