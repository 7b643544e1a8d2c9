-- Permissions, the buyer role, the PO line's moves and the retest signature (segregation:
-- whoever received or produced a lot does not extend its retest date either).

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0014: units, purchase orders, retest, labels', true);

INSERT INTO workcell.role (name, description) VALUES
    ('buyer', 'Keeps purchase orders (lines receipts count against)');

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('uom.manage', 'action', 'Define and retire unit-of-measure conversions of an item'),
    ('purchasing.manage', 'action', 'Add, amend, close and reopen purchase-order lines'),
    ('lot.retest', 'sign', 'Extend a lot''s retest date after a retest, signed (QA)'),
    ('label.print', 'action', 'Print or write lot and serial labels');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('engineer', 'uom.manage'), ('qa', 'uom.manage'),
    ('buyer', 'purchasing.manage'), ('supervisor', 'purchasing.manage'),
    ('qa', 'lot.retest'),
    ('operator', 'label.print'), ('supervisor', 'label.print'), ('qa', 'label.print');

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, restarts, description) VALUES
    ('purchase_order_line', NULL, 'open', 'create', 'purchasing.manage', '{}', NULL, false, 'A PO line receipts count against'),
    ('purchase_order_line', 'open', 'closed', 'close', 'purchasing.manage', '{}', NULL, false, 'Nothing more is received against it'),
    ('purchase_order_line', 'closed', 'open', 'reopen', 'purchasing.manage', '{}', NULL, false, 'Receipts against it again');

INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('lot', 'retest_extended', 'lot.retest', '{}', '{author}');
