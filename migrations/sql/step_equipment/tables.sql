-- Equipment at the work-order steps (issue 14 item 7; 21 CFR 211.188(b)(3)-(4)): a routing
-- step names the equipment class it needs (frozen with the revision, so part of the
-- routing's signed content and of a work order's lock), the unit used at a step instance is
-- recorded by the database (checked usable for that class at that moment), and a value
-- read from a balance carries its reading (tare, serial, calibration in force).

-- The class of equipment the step needs (NULL: none). Change control as every routing
-- line field: eng_line_guard refuses it outside a draft revision.
ALTER TABLE workcell.routing_step
    ADD COLUMN equipment_class text CONSTRAINT fk_routing_step_equipment_class REFERENCES workcell.equipment_class (name);

-- The unit used at a step instance (the latest row is the one in force; an earlier unit
-- stays in the record), with the use record (calibration and cleaning in force). Written
-- only by workcell.wo_use_equipment; append-only and audited.
CREATE TABLE workcell.step_equipment (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_step_equipment PRIMARY KEY,
    step_instance_id bigint NOT NULL CONSTRAINT fk_step_equipment_step_instance_id REFERENCES workcell.step_instance (id),
    equipment_id     bigint NOT NULL CONSTRAINT fk_step_equipment_equipment_id REFERENCES workcell.equipment (id),
    equipment_use_id bigint NOT NULL CONSTRAINT fk_step_equipment_equipment_use_id REFERENCES workcell.equipment_use (id),
    class_code       text NOT NULL CONSTRAINT fk_step_equipment_class_code REFERENCES workcell.equipment_class (name),
    entered_at       timestamptz NOT NULL DEFAULT now(),
    entered_by       bigint NOT NULL DEFAULT workcell.current_actor_id() CONSTRAINT fk_step_equipment_entered_by REFERENCES workcell.users (id),
    station          text NOT NULL DEFAULT session_user,
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_step_equipment_use UNIQUE (equipment_use_id)
);
CREATE INDEX ix_step_equipment_step ON workcell.step_equipment (step_instance_id, id);

-- A value read from a balance names its reading (the equipment use with value, tare and
-- the serial the balance reported); the step entry's unit now references the register.
ALTER TABLE workcell.step_entry
    ADD COLUMN equipment_use_id bigint CONSTRAINT fk_step_entry_equipment_use_id REFERENCES workcell.equipment_use (id),
    ADD CONSTRAINT uq_step_entry_equipment_use UNIQUE (equipment_use_id),
    ADD CONSTRAINT fk_step_entry_equipment_id FOREIGN KEY (equipment_id) REFERENCES workcell.equipment (id) NOT VALID;
