-- Whether a card id was ever issued (revoked badges included: a card id is never
-- reassigned), asked before the administrator re-authenticates, so "card already issued"
-- is said while the new-card dialog is still open instead of after the badge and PIN.
-- Only for a session holding user.administer, and only yes/no: no badge id, no holder, no
-- revocation state. An administrator learns nothing that issue_badge would not tell them
-- (WC042), without the side effect of issuing.
CREATE OR REPLACE FUNCTION workcell.card_issued(p_uid text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    a workcell.users := auth.require_permission('user.administer');
BEGIN
    IF btrim(coalesce(p_uid, '')) = '' OR length(p_uid) > 128 THEN
        RAISE EXCEPTION 'No badge was read' USING ERRCODE = '22023', HINT = 'Tap the badge again.';
    END IF;
    RETURN EXISTS (SELECT 1 FROM workcell.badge WHERE badge_hash = workcell.badge_digest(p_uid));
END $$;
