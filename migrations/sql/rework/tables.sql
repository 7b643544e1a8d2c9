-- Rework (migration 0036): a routing revision is made for the standard run of an item or
-- for its rework; a work order planned by an NCR's rework disposition reworks one lot.

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0036: rework routings and rework work orders', true);

-- The purpose is part of the revision from its creation (INSERT only for stations; the
-- trigger below refuses a change by any writer) and of its signed content. Each purpose
-- has its own effective ranges: an item has a standard and a rework routing in effect.
ALTER TABLE workcell.routing_revision
    ADD COLUMN purpose text NOT NULL DEFAULT 'standard'
        CONSTRAINT ck_routing_revision_purpose CHECK (purpose IN ('standard', 'rework')),
    DROP CONSTRAINT ex_routing_revision_effective,
    ADD CONSTRAINT ex_routing_revision_effective EXCLUDE USING gist (
        int8range(item_id, item_id, '[]') WITH &&,
        int4range(CASE purpose WHEN 'rework' THEN 1 ELSE 0 END, CASE purpose WHEN 'rework' THEN 1 ELSE 0 END, '[]') WITH &&,
        effective WITH &&);
COMMENT ON COLUMN workcell.routing_revision.purpose IS
    'standard: the routing work orders run; rework: the routing of the work orders an NCR''s rework disposition plans (migration 0036).';

CREATE FUNCTION workcell.routing_revision_purpose_fixed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.purpose IS DISTINCT FROM OLD.purpose THEN
        RAISE EXCEPTION 'Routing revision % was made for % work: that never changes', OLD.revision, OLD.purpose
            USING ERRCODE = 'WC196', HINT = 'Make a new revision for the other purpose.';
    END IF;
    RETURN NEW;
END $$;

-- A rework work order names the NCR that planned it and the lot it reworks; both fixed
-- (work_order_guard), written only by the database at the disposition.
ALTER TABLE workcell.work_order
    ADD COLUMN ncr_id bigint CONSTRAINT fk_work_order_ncr_id REFERENCES workcell.ncr (id),
    ADD COLUMN rework_lot_id bigint CONSTRAINT fk_work_order_rework_lot_id REFERENCES workcell.lot (id),
    ADD CONSTRAINT ck_work_order_rework CHECK ((ncr_id IS NULL) = (rework_lot_id IS NULL));
-- one rework work order at a time per NCR and lot (a cancelled one may be planned again)
CREATE UNIQUE INDEX uq_work_order_rework ON workcell.work_order (ncr_id, rework_lot_id)
    WHERE ncr_id IS NOT NULL AND status <> 'cancelled';
CREATE INDEX ix_work_order_rework_lot ON workcell.work_order (rework_lot_id) WHERE rework_lot_id IS NOT NULL;
COMMENT ON COLUMN workcell.work_order.ncr_id IS 'A rework work order: the NCR whose rework disposition planned it (migration 0036).';
COMMENT ON COLUMN workcell.work_order.rework_lot_id IS 'A rework work order: the lot it reworks (consumed at its rework scan; the output is the reworked lot).';
