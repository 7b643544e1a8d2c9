-- In-process and final inspections from a routing step (issue 16 item 3): a routing step
-- names the type of inspection made at it (frozen with the revision, so part of the
-- routing's signed content and of a work order's lock); when a work order reaches the step
-- the database opens the inspection of the work order's output lot against the released
-- template of the item being made, and records which step it belongs to.

-- The inspection made at this step (NULL: none). Change control as every routing line
-- field: eng_line_guard refuses it outside a draft revision.
ALTER TABLE workcell.routing_step
    ADD COLUMN inspection_type text CONSTRAINT ck_routing_step_inspection_type CHECK (
        inspection_type IN ('in_process', 'final'));

-- Which inspection belongs to which step instance: one per step instance, written only by
-- the database when the work order reaches the step; append-only and audited.
CREATE TABLE workcell.step_inspection (
    step_instance_id bigint CONSTRAINT pk_step_inspection PRIMARY KEY
                     CONSTRAINT fk_step_inspection_step_instance_id REFERENCES workcell.step_instance (id),
    inspection_id    bigint NOT NULL CONSTRAINT fk_step_inspection_inspection_id REFERENCES workcell.inspection (id),
    opened_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_step_inspection_inspection UNIQUE (inspection_id)
);
