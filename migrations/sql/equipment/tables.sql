-- Equipment and instruments (issue 14 item 7; 21 CFR 211.67, 211.68, 211.188(b)(3)): classes,
-- units with their identity, status and calibration / cleaning due dates, the append-only
-- calibration, cleaning and use records. A unit's due dates are kept by its events (never
-- written by a station); every time, actor and station on an event is the server's.

-- What kind of equipment a step can ask for: BALANCE, TORQUE-DRIVER, OVEN...
CREATE TABLE workcell.equipment_class (
    name                      text PRIMARY KEY
                              CONSTRAINT ck_equipment_class_name CHECK (name ~ '^[A-Z][A-Z0-9-]{1,23}$'),
    description               text NOT NULL
                              CONSTRAINT ck_equipment_class_description CHECK (btrim(description) <> ''),
    -- the longest a calibration may be valid (the certificate's next due is at most this
    -- far ahead); NULL: the class needs no calibration (e.g. a mixing vessel)
    calibration_interval_days integer
                              CONSTRAINT ck_equipment_class_calibration CHECK (calibration_interval_days BETWEEN 1 AND 1830),
    -- a cleaning is valid this many days; NULL: the class needs no cleaning record
    cleaning_interval_days    integer
                              CONSTRAINT ck_equipment_class_cleaning CHECK (cleaning_interval_days BETWEEN 1 AND 366),
    -- balances and scales: units carry readability, capacity and a weighing unit
    weighing                  boolean NOT NULL DEFAULT false,
    created_at                timestamptz NOT NULL DEFAULT now(),
    created_by                bigint NOT NULL DEFAULT workcell.current_actor_id()
                              CONSTRAINT fk_equipment_class_created_by REFERENCES workcell.users (id),
    version                   integer NOT NULL DEFAULT 1
);

CREATE TABLE workcell.equipment (
    id                  bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_equipment PRIMARY KEY,
    -- the asset tag people scan
    asset_id            text NOT NULL CONSTRAINT ck_equipment_asset_id CHECK (asset_id ~ '^[A-Z0-9][A-Z0-9_.-]{0,31}$'),
    class_code          text NOT NULL CONSTRAINT fk_equipment_class_code REFERENCES workcell.equipment_class (name),
    description         text NOT NULL CONSTRAINT ck_equipment_description CHECK (btrim(description) <> ''),
    location            text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'in_service'
                        CONSTRAINT ck_equipment_status CHECK (status IN ('in_service', 'out_of_service', 'retired')),
    status_reason       text NOT NULL DEFAULT '',
    -- the serial number the instrument itself reports (MT-SICS I4); readings from another
    -- device are refused. NULL: the unit does not report one.
    device_serial       text CONSTRAINT ck_equipment_device_serial CHECK (device_serial ~ '^[!-~]{1,40}$'),
    -- balances: smallest step shown (d), maximum load, the unit both are in
    readability         numeric(18, 9) CONSTRAINT ck_equipment_readability CHECK (readability > 0),
    capacity            numeric(18, 6),
    weighing_unit       text CONSTRAINT ck_equipment_weighing_unit CHECK (weighing_unit IN ('mg', 'g', 'kg')),
    -- kept by the calibration and cleaning records only
    calibration_due     date,
    last_calibration_id bigint,
    cleaning_due        date,
    last_cleaned_at     timestamptz,
    last_cleaning_id    bigint,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          bigint NOT NULL DEFAULT workcell.current_actor_id()
                        CONSTRAINT fk_equipment_created_by REFERENCES workcell.users (id),
    version             integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_equipment_asset_id UNIQUE (asset_id),
    CONSTRAINT ck_equipment_capacity CHECK (capacity IS NULL OR (readability IS NOT NULL AND capacity > readability)),
    CONSTRAINT ck_equipment_balance CHECK ((readability IS NULL) = (weighing_unit IS NULL) AND (capacity IS NULL) = (weighing_unit IS NULL))
);
CREATE INDEX ix_equipment_class_code ON workcell.equipment (class_code);

-- A calibration: who (the session's person, signed "calibrated"), when (the server), the
-- certificate, the result, and until when it is valid. Append-only.
CREATE TABLE workcell.equipment_calibration (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_equipment_calibration PRIMARY KEY,
    equipment_id  bigint NOT NULL CONSTRAINT fk_equipment_calibration_equipment_id REFERENCES workcell.equipment (id),
    result        text NOT NULL CONSTRAINT ck_equipment_calibration_result CHECK (result IN ('pass', 'fail')),
    certificate   text NOT NULL CONSTRAINT ck_equipment_calibration_certificate CHECK (certificate ~ '^[!-~][ -~]{0,79}$'),
    -- who did the work when it is not the signer (an accredited calibration service)
    provider      text NOT NULL DEFAULT '',
    next_due      date,
    comment       text NOT NULL DEFAULT '',
    signature_id  bigint NOT NULL CONSTRAINT fk_equipment_calibration_signature_id REFERENCES workcell.signature (id),
    calibrated_at timestamptz NOT NULL DEFAULT now(),
    actor_id      bigint NOT NULL DEFAULT workcell.current_actor_id()
                  CONSTRAINT fk_equipment_calibration_actor_id REFERENCES workcell.users (id),
    station       text NOT NULL DEFAULT session_user,
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_equipment_calibration_signature_id UNIQUE (signature_id),
    CONSTRAINT ck_equipment_calibration_due CHECK ((result = 'pass') = (next_due IS NOT NULL))
);
CREATE INDEX ix_equipment_calibration_equipment_id ON workcell.equipment_calibration (equipment_id, id);

-- A cleaning: who and when (server), the procedure followed, valid until. Append-only.
CREATE TABLE workcell.equipment_cleaning (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_equipment_cleaning PRIMARY KEY,
    equipment_id bigint NOT NULL CONSTRAINT fk_equipment_cleaning_equipment_id REFERENCES workcell.equipment (id),
    procedure    text NOT NULL CONSTRAINT ck_equipment_cleaning_procedure CHECK (btrim(procedure) <> ''),
    next_due     date,
    comment      text NOT NULL DEFAULT '',
    cleaned_at   timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint NOT NULL DEFAULT workcell.current_actor_id()
                 CONSTRAINT fk_equipment_cleaning_actor_id REFERENCES workcell.users (id),
    station      text NOT NULL DEFAULT session_user,
    version      integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_equipment_cleaning_equipment_id ON workcell.equipment_cleaning (equipment_id, id);

-- Which unit was used for what (211.188(b)(3)), with the calibration and cleaning in force
-- at that moment and, for a weighing, the reading as the instrument gave it. Append-only.
CREATE TABLE workcell.equipment_use (
    id                bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_equipment_use PRIMARY KEY,
    equipment_id      bigint NOT NULL CONSTRAINT fk_equipment_use_equipment_id REFERENCES workcell.equipment (id),
    -- what the unit was used for: ('step_entry', id), ('work_order', id), ...
    context           text NOT NULL CONSTRAINT ck_equipment_use_context CHECK (context ~ '^[a-z][a-z_]{1,40}$'),
    context_id        bigint NOT NULL,
    calibration_id    bigint CONSTRAINT fk_equipment_use_calibration_id REFERENCES workcell.equipment_calibration (id),
    calibration_due   date,
    cleaning_id       bigint CONSTRAINT fk_equipment_use_cleaning_id REFERENCES workcell.equipment_cleaning (id),
    -- a weighing: value and tare in the unit shown, the device serial the balance reported
    reading_value     numeric(18, 9),
    reading_unit      text,
    tare_value        numeric(18, 9),
    device_serial     text,
    used_at           timestamptz NOT NULL DEFAULT now(),
    actor_id          bigint NOT NULL DEFAULT workcell.current_actor_id()
                      CONSTRAINT fk_equipment_use_actor_id REFERENCES workcell.users (id),
    station           text NOT NULL DEFAULT session_user,
    tx_id             xid8 NOT NULL DEFAULT pg_current_xact_id(),
    version           integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_equipment_use_reading CHECK ((reading_value IS NULL) = (reading_unit IS NULL))
);
CREATE INDEX ix_equipment_use_equipment_id ON workcell.equipment_use (equipment_id, id);
CREATE INDEX ix_equipment_use_context ON workcell.equipment_use (context, context_id);

ALTER TABLE workcell.equipment
    ADD CONSTRAINT fk_equipment_last_calibration_id FOREIGN KEY (last_calibration_id)
        REFERENCES workcell.equipment_calibration (id),
    ADD CONSTRAINT fk_equipment_last_cleaning_id FOREIGN KEY (last_cleaning_id)
        REFERENCES workcell.equipment_cleaning (id);
