"""Work orders and step execution (issue 14; docs/work_orders.md). Every rule that matters
is enforced by the database (migration 0013); these services give the clear message first
and return the views of domain/views/work_orders.py (no SQLAlchemy for the screens).

All functions take the caller's UnitOfWork; the caller commits. Refusals are WorkCellErrors
(database codes WC080-WC094 translated in domain/errors.py). ``step_id`` is a step
instance id (StepView.id); ``expected_version`` is StepView.version as the screen showed it
(another station changed the step meanwhile: StaleRecord, nothing saved).

planning (planner role)
  create_work_order(uow, item_number, quantity, due_date, note="") -> WorkOrderSummary
  release_work_order(uow, number) -> WorkOrderSummary      locks BOM + routing (SHA-256)
  cancel_work_order(uow, number, reason) -> WorkOrderSummary
  complete_work_order(uow, number) -> WorkOrderSummary     yield + label reconciliation
  close_work_order(uow, number) -> WorkOrderSummary
  set_label_counts(uow, number, issued, used, destroyed) -> WorkOrderSummary
  get_work_order(uow, number) -> WorkOrderSummary
  list_work_orders(uow, status=None) -> list[WorkOrderSummary]
  queue(uow, work_centre=None) -> list[QueueRow]           next open step per running WO
  lock_valid(uow, number) -> bool

execution (operators at the station; supervisors and QA sign at the same station)
  steps_of(uow, number) -> list[StepView]
  step_view(uow, step_id) -> StepView
  enter_value(uow, step_id, code, value, expected_version, *, equipment_id=None,
              value_source="typed") -> StepView
  correct_value(uow, entry_id, value, reason, expected_version) -> StepView
  consume(uow, step_id, lot_number, bin_code, quantity, *, serial=None, unit=None,
          expected_version=None) -> StepView                component scan via the ledger
  produce(uow, step_id, quantity, bin_code, serials=(), expected_version=...) -> StepView
  sign_step(uow, step_id, meaning, signing) -> StepView    performed | verified | reviewed
  finish_step(uow, step_id, expected_version) -> StepView  pending signatures/deviations block

step_equipment (migration 0021: the unit used at a step, balance readings)
  use_equipment(uow, step_id, asset_id, expected_version) -> StepView   refused: not usable
  units_for(uow, step_id) -> list[EquipmentView]           the step's class, usable or why not
  weigh_value(uow, step_id, code, scale, expected_version, reason="") -> StepView

deviations
  open_deviation(uow, step_id, kind, what, expected, actual, why) -> DeviationView
  approve_deviation(uow, number, signing) -> DeviationView (QA, not the performer)
  deviations_of(uow, work_order) -> list[DeviationView]
  open_deviations(uow) -> list[DeviationView]

training
  define_qualification(uow, code, title, document, document_revision) -> QualificationView
  list_qualifications(uow) -> list[QualificationView]
  grant_qualification(uow, username, code, trained_on, expires_on, signing)
      -> PersonQualificationView                           attested by the signer
  revoke_qualification(uow, record_id, reason) -> PersonQualificationView
  qualifications_of(uow, username=None) -> list[PersonQualificationView]
  expiring(uow, days=30) -> list[ExpiringQualification]

review (QA)
  review_by_exception(uow, number) -> list[ExceptionRow]   ordered (views.EXCEPTION_KINDS)
  review_work_order(uow, number, signing) -> WorkOrderSummary   signed "reviewed"
  release_output(uow, number, signing) -> WorkOrderSummary      the output lot's QA release
"""
