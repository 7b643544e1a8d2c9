-- Registration (audited: this migration's actor is the 'system' user): permissions and who
-- holds them, the lifecycle rules, the signable record types and their signing rules, the
-- first released risk matrix.

SELECT set_config('workcell.system_actor', 'system', true);
SELECT set_config('workcell.reason', 'migration 0018: quality', true);

INSERT INTO workcell.permission (name, kind, description) VALUES
    ('quality.template', 'sign', 'Write inspection templates and sign them as authored'),
    ('quality.template.approve', 'sign', 'Approve (release) inspection templates, signed'),
    ('quality.plan', 'action', 'Enter a sampling plan the reference tables do not give; open final/periodic inspections'),
    ('quality.inspect', 'sign', 'Enter inspection results and sign an inspection as inspected'),
    ('quality.disposition', 'sign', 'Disposition inspections and NCRs, signed (QA)'),
    ('quality.switching', 'action', 'Move the inspection severity by judgement (reduced, resume after discontinuation)'),
    ('quality.ncr.raise', 'action', 'Raise an NCR (its lots go on NCR hold)'),
    ('quality.ncr.qa', 'sign', 'Approve an NCR disposition for QA'),
    ('quality.ncr.engineering', 'sign', 'Approve an NCR disposition for engineering'),
    ('quality.ncr.management', 'sign', 'Approve an NCR disposition for management'),
    ('quality.configure', 'sign', 'Keep the NCR risk matrix (a controlled record)'),
    ('quality.capa', 'sign', 'Sign a CAPA section one owns as complete');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('qa', 'quality.template'), ('engineer', 'quality.template'),
    ('qa', 'quality.template.approve'),
    ('qa', 'quality.plan'),
    ('operator', 'quality.inspect'), ('supervisor', 'quality.inspect'), ('qa', 'quality.inspect'),
    ('qa', 'quality.disposition'),
    ('qa', 'quality.switching'),
    ('supervisor', 'quality.ncr.raise'), ('qa', 'quality.ncr.raise'),
    ('qa', 'quality.ncr.qa'), ('engineer', 'quality.ncr.engineering'), ('supervisor', 'quality.ncr.management'),
    ('qa', 'quality.configure'),
    ('operator', 'quality.capa'), ('supervisor', 'quality.capa'), ('qa', 'quality.capa'), ('engineer', 'quality.capa');

INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action, permission, signatures, condition, restarts, description) VALUES
    ('inspection_template', NULL, 'draft', 'create', 'quality.template', '{}', NULL, false, 'A new revision starts as a draft'),
    ('inspection_template', 'draft', 'in_review', 'submit', 'quality.template', '{authored}',
     'workcell.inspection_template_complete(text, jsonb, jsonb)', false, 'Submitted for approval, signed by its author'),
    ('inspection_template', 'in_review', 'draft', 'reopen', 'quality.template', '{}', NULL, true, 'Back to draft for a change'),
    ('inspection_template', 'in_review', 'released', 'release', 'quality.template.approve', '{authored,approved}',
     'workcell.inspection_template_may_release(text, jsonb, jsonb)', false, 'Released by QA approval (not the author)'),
    ('inspection_template', 'released', 'superseded', 'supersede', 'quality.template.approve', '{}',
     'workcell.inspection_template_may_supersede(text, jsonb, jsonb)', false, 'A newer revision is released'),
    ('inspection_template', 'draft', 'obsolete', 'discard', 'quality.template', '{}', NULL, false, 'A draft never released'),

    ('inspection', NULL, 'open', 'open', NULL, '{}', NULL, false, 'Opened by a receipt, or by QA (final, first article, periodic)'),
    ('inspection', 'open', 'completed', 'complete', 'quality.inspect', '{inspected}',
     'workcell.inspection_may_complete(text, jsonb, jsonb)', false, 'Every sample inspected; the database decides accept or reject'),
    ('inspection', 'completed', 'released', 'release', 'quality.disposition', '{inspected,released}',
     'workcell.inspection_may_release(text, jsonb, jsonb)', false, 'Accepted lot released by QA (not the inspector)'),
    ('inspection', 'completed', 'rejected', 'reject', 'quality.disposition', '{inspected,rejected}', NULL, false,
     'Lot rejected by QA (not the inspector)'),
    ('inspection', 'completed', 'referred', 'refer', 'quality.disposition', '{inspected,referred}',
     'workcell.inspection_may_refer(text, jsonb, jsonb)', false, 'Referred to the NCR raised from it'),

    ('switching_state', NULL, 'normal', 'start', NULL, '{}', NULL, false, 'Inspection starts on normal'),
    ('switching_state', 'normal', 'tightened', 'tighten', NULL, '{}', NULL, false, '2 of 5 or fewer consecutive lots rejected'),
    ('switching_state', 'tightened', 'normal', 'relax', NULL, '{}', NULL, false, '5 consecutive lots accepted on tightened'),
    ('switching_state', 'tightened', 'discontinued', 'discontinue', NULL, '{}', NULL, false, '5 lots not accepted on tightened'),
    ('switching_state', 'normal', 'reduced', 'reduce', NULL, '{}', 'workcell.switching_may_reduce(text, jsonb, jsonb)', false,
     'Switching score 30 or more, production steady, QA agrees'),
    ('switching_state', 'reduced', 'normal', 'reinstate', NULL, '{}', NULL, false, 'A lot rejected, accepted in the gap, or QA''s judgement'),
    ('switching_state', 'discontinued', 'tightened', 'resume', NULL, '{}', NULL, false, 'QA accepts the supplier''s correction'),

    ('ncr', NULL, 'open', 'raise', 'quality.ncr.raise', '{}', NULL, false, 'Raised; its lots go on NCR hold'),
    ('ncr', 'open', 'dispositioned', 'disposition', 'quality.disposition', '{}', 'workcell.ncr_may_disposition(text, jsonb, jsonb)', false,
     'With the approvals its risk class demands for the disposition'),
    ('ncr', 'dispositioned', 'closed', 'close', 'quality.disposition', '{closed}', 'workcell.ncr_may_close(text, jsonb, jsonb)', false,
     'Closed by QA when its lots are out of NCR hold'),

    ('risk_matrix', NULL, 'draft', 'create', 'quality.configure', '{}', NULL, false, 'A new revision starts as a draft'),
    ('risk_matrix', 'draft', 'released', 'release', 'quality.configure', '{approved}', 'workcell.risk_matrix_may_release(text, jsonb, jsonb)', false,
     'Released by QA (not its author), all 25 cells filled'),
    ('risk_matrix', 'released', 'superseded', 'supersede', 'quality.configure', '{}', 'workcell.risk_matrix_may_supersede(text, jsonb, jsonb)', false,
     'A newer revision is released'),

    ('capa', NULL, 'open', 'raise', 'quality.ncr.raise', '{}', NULL, false, 'Raised on an NCR with D0..D8, owners and due dates'),
    ('capa', 'open', 'closed', 'close', 'quality.disposition', '{closed}', 'workcell.capa_may_close(text, jsonb, jsonb)', false,
     'Closed by QA when D0..D8 are complete'),
    ('capa_section', NULL, 'open', 'open', NULL, '{}', NULL, false, 'Opened with its CAPA'),
    ('capa_section', 'open', 'complete', 'complete', 'quality.capa', '{completed}', 'workcell.capa_section_may_complete(text, jsonb, jsonb)', false,
     'Signed complete by its owner (D8 by QA), in order');

INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column, summary_function, production)
VALUES ('inspection_template', 'workcell.inspection_template', 'workcell.inspection_template_content(bigint)', 'created_by',
        'workcell.inspection_template_summary(bigint)', true),
       ('inspection', 'workcell.inspection', 'workcell.inspection_content(bigint)', 'created_by',
        'workcell.inspection_summary(bigint)', true),
       ('ncr', 'workcell.ncr', 'workcell.ncr_content(bigint)', 'created_by', 'workcell.ncr_summary(bigint)', true),
       ('risk_matrix', 'workcell.risk_matrix', 'workcell.risk_matrix_content(bigint)', 'created_by', NULL, true),
       ('capa', 'workcell.capa', 'workcell.capa_content(bigint)', 'created_by', NULL, true),
       ('capa_section', 'workcell.capa_section', 'workcell.capa_section_content(bigint)', NULL, NULL, true);

-- The inspector (and whoever received the lot: the inspection's author) never dispositions it;
-- each NCR approval is a different person's.
INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('inspection_template', 'authored', 'quality.template', '{}', '{}'),
    ('inspection_template', 'approved', 'quality.template.approve', '{authored}', '{author,authored}'),
    ('inspection', 'inspected', 'quality.inspect', '{}', '{}'),
    ('inspection', 'released', 'quality.disposition', '{inspected}', '{author,inspected}'),
    ('inspection', 'rejected', 'quality.disposition', '{inspected}', '{author,inspected}'),
    ('inspection', 'referred', 'quality.disposition', '{inspected}', '{author,inspected}'),
    ('ncr', 'qa_approved', 'quality.ncr.qa', '{}', '{engineering_approved,management_approved}'),
    ('ncr', 'engineering_approved', 'quality.ncr.engineering', '{}', '{qa_approved,management_approved}'),
    ('ncr', 'management_approved', 'quality.ncr.management', '{}', '{qa_approved,engineering_approved}'),
    ('ncr', 'closed', 'quality.disposition', '{}', '{}'),
    ('risk_matrix', 'approved', 'quality.configure', '{}', '{author}'),
    ('capa_section', 'completed', 'quality.capa', '{}', '{}'),
    ('capa', 'closed', 'quality.disposition', '{}', '{}');

-- The first risk matrix, released by this migration (before its guard is attached): the
-- plant's QA replaces it with a signed revision. severity 5 or s x o >= 15: critical;
-- severity 4 or s x o >= 6: major; else minor.
INSERT INTO workcell.risk_matrix (revision, title, status) VALUES (1, 'Default NCR risk matrix (WorkCell)', 'released');
INSERT INTO workcell.risk_matrix_cell (matrix_id, severity, occurrence, risk_class)
SELECT m.id, s, o, CASE WHEN s = 5 OR s * o >= 15 THEN 'critical' WHEN s = 4 OR s * o >= 6 THEN 'major' ELSE 'minor' END
  FROM workcell.risk_matrix m CROSS JOIN generate_series(1, 5) s CROSS JOIN generate_series(1, 5) o
 WHERE m.revision = 1;
INSERT INTO workcell.risk_matrix_approval (matrix_id, risk_class, disposition, approvals)
SELECT m.id, a.risk_class, a.disposition, a.approvals
  FROM workcell.risk_matrix m CROSS JOIN (VALUES
    ('minor', 'use_as_is', '{qa_approved}'::text[]), ('minor', 'rework', '{qa_approved}'), ('minor', 'repair', '{qa_approved}'),
    ('minor', 'scrap', '{qa_approved}'), ('minor', 'return_to_supplier', '{qa_approved}'),
    ('major', 'use_as_is', '{qa_approved,engineering_approved}'), ('major', 'rework', '{qa_approved}'),
    ('major', 'repair', '{qa_approved,engineering_approved}'), ('major', 'scrap', '{qa_approved}'),
    ('major', 'return_to_supplier', '{qa_approved}'),
    ('critical', 'use_as_is', '{qa_approved,engineering_approved,management_approved}'),
    ('critical', 'rework', '{qa_approved,engineering_approved}'),
    ('critical', 'repair', '{qa_approved,engineering_approved,management_approved}'),
    ('critical', 'scrap', '{qa_approved}'), ('critical', 'return_to_supplier', '{qa_approved,engineering_approved}')
  ) AS a (risk_class, disposition, approvals)
 WHERE m.revision = 1;
