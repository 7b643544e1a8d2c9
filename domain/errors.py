"""One exception family. Each carries a title and a message an operator can act on.

Database refusals (SQLSTATE WC001..WC139 raised by the audit machinery, constraint
violations, a lost connection) are translated once, here, by `translate`.
"""

from __future__ import annotations

from typing import Any


class WorkCellError(Exception):
    title = "Refused"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title:
            self.title = title

    def __str__(self) -> str:
        return self.message


class InstrumentError(WorkCellError):
    """An instrument (a balance) did not give what was asked: offline, unstable,
    overloaded. Said with the adapter's own title; nothing was recorded."""

    title = "Balance"


class NotFound(WorkCellError):
    title = "Not found"


class InvalidInput(WorkCellError):
    title = "Check the entry"


class PermissionDenied(WorkCellError):
    title = "Not allowed"


class RuleViolation(WorkCellError):
    """A business rule refused the action (segregation of duties, sequencing, holds...)."""

    title = "Not allowed"


class AttributionError(WorkCellError):
    title = "Who is acting?"


class ReasonRequired(WorkCellError):
    title = "Reason required"


class StaleRecord(WorkCellError):
    title = "Record changed meanwhile"


class AppendOnly(WorkCellError):
    title = "Record cannot be changed"


class DatabaseUnavailable(WorkCellError):
    title = "Database unreachable"


# --- identity and signatures (domain/services/identity.py, signatures.py) ---------------
class AuthenticationFailed(WorkCellError):
    """Badge/username or PIN not accepted. The message says how many attempts are left."""

    title = "Not recognised"


class ChallengeExpired(AuthenticationFailed):
    """The PIN prompt was not answered in time, or was overtaken: ask again (not a failure)."""

    title = "Try again"


class AccountLocked(AuthenticationFailed):
    title = "Account locked"


class AccountDisabled(AuthenticationFailed):
    title = "Account disabled"


class BadgeRevoked(AuthenticationFailed):
    title = "Badge revoked"


class PinChangeRequired(AuthenticationFailed):
    """The PIN was right but must be replaced first (set by an admin, or expired)."""

    title = "Choose a new PIN"

    def __init__(self, message: str, *, username: str = "", title: str | None = None) -> None:
        super().__init__(message, title=title)
        self.username = username


class PinExpired(PinChangeRequired):
    title = "PIN expired"


class SignatureRefused(RuleViolation):
    """The signing rules refused this signature (permission, order, segregation of duties)."""

    title = "Signature refused"


class RecordLocked(WorkCellError):
    """Signed content (e.g. an approved item) cannot change without a new signed change."""

    title = "Record locked"


class TimeLimitExceeded(WorkCellError):
    """The database ended a statement or transaction at the station's time limit."""

    title = "Took too long"


# --- materials (migration 0012) ----------------------------------------------------------
class ZoneRuleViolation(RuleViolation):
    """The bin's zone does not take this lot (its status or an open hold), or is unusable."""

    title = "Wrong location"


class InsufficientStock(RuleViolation):
    """Less on hand than asked (another station may have taken it meanwhile)."""

    title = "Not enough on hand"


class LotOnHold(RuleViolation):
    title = "Lot on hold"


class LotExpired(RuleViolation):
    """Past its expiry or retest date, whatever its status says."""

    title = "Lot expired"


class LotNotReleased(RuleViolation):
    title = "Lot not released"


class SupplierNotApproved(RuleViolation):
    title = "Supplier not approved"


class ReceivingRefused(RuleViolation):
    title = "Cannot receive"


class UnitConversionRefused(InvalidInput):
    """A quantity in another unit that does not convert exactly (or has no conversion)."""

    title = "Check the unit"


class OverReceipt(ReceivingRefused):
    """More than is open on the purchase-order line."""

    title = "More than ordered"


class WholeUnitsOnly(UnitConversionRefused):
    """A quantity of something counted in each ('ea') that is not a whole number."""

    title = "Whole units only"


class DeviceUnavailable(WorkCellError):
    """A label printer (or another device) did not answer; nothing was recorded."""

    title = "Printer unreachable"


# --- equipment (migration 0015) ---------------------------------------------------------
class EquipmentUnknown(NotFound):
    title = "Unknown equipment"


class WrongEquipment(RuleViolation):
    """The unit scanned is of another class than the step asks for."""

    title = "Wrong equipment"


class EquipmentOutOfService(RuleViolation):
    title = "Equipment out of service"


class EquipmentOutOfCalibration(RuleViolation):
    """Never calibrated, calibration overdue, or its last calibration failed."""

    title = "Out of calibration"


class EquipmentNotClean(RuleViolation):
    title = "Equipment not cleaned"


class DeviceMismatch(RuleViolation):
    """A reading came from another instrument than the registered unit (11.10(h))."""

    title = "Wrong instrument"


# --- work orders and execution (migration 0013) -------------------------------------------
class NotQualified(RuleViolation):
    """The training gate: the person lacks the qualification the step names, or it expired."""

    title = "Not qualified"


class ComponentRefused(RuleViolation):
    """A scanned lot whose item is not on the locked BOM, or not scanned at this step."""

    title = "Wrong component"


class StepBlocked(RuleViolation):
    """A step that cannot be done yet: entries, signatures or an open deviation missing."""

    title = "Step not finished"


# --- quality (migration 0018) ------------------------------------------------------------
class ReferenceDataInvalid(WorkCellError):
    """The sampling reference data does not match its manifest (or does not parse)."""

    title = "Reference data refused"


class PlanNotAvailable(RuleViolation):
    """The reference data has no plan for this cell: QA enters and approves one by hand."""

    title = "Sampling plan not available"


class InspectionRefused(RuleViolation):
    title = "Inspection refused"


class NcrRefused(RuleViolation):
    title = "NCR refused"


_BY_SQLSTATE: dict[str, type[WorkCellError]] = {
    "WC001": AttributionError,
    "WC002": AttributionError,
    "WC003": ReasonRequired,
    "WC004": StaleRecord,
    "WC005": AppendOnly,
    "WC006": AppendOnly,
    "WC007": RuleViolation,
    "WC008": RuleViolation,
    "WC009": RuleViolation,
    "WC011": RecordLocked,
    "WC012": SignatureRefused,
    "WC013": RuleViolation,
    # engineering change control (migration 0004)
    "WC021": RecordLocked,  # only a draft revision / ECO can be edited
    "WC022": RuleViolation,  # BOM cycle
    "WC023": RuleViolation,  # effectivity change refused
    "WC024": RuleViolation,  # status transition not allowed
    # the database proves the person (migration 0007)
    "WC030": PermissionDenied,  # station not registered / disabled / method not allowed
    "WC031": ChallengeExpired,  # challenge expired, used or overtaken
    "WC032": AuthenticationFailed,  # not recognised, wrong PIN (attempts left)
    "WC033": PermissionDenied,  # station blocked
    "WC034": AccountLocked,
    "WC035": PinChangeRequired,
    "WC036": AccountDisabled,
    "WC037": BadgeRevoked,
    "WC038": PinExpired,
    "WC039": PermissionDenied,
    "WC040": NotFound,
    "WC041": InvalidInput,  # PIN reuse
    "WC042": InvalidInput,  # card already issued
    # limits a station cannot lift (migration 0010)
    "WC050": RuleViolation,  # sealing blocked: the sealer's lock is held by another session
    "WC051": RuleViolation,  # the watchdog lacks pg_signal_backend / pg_read_all_stats
    "22001": InvalidInput,  # value too long (e.g. a reason over 500 characters)
    "57014": TimeLimitExceeded,  # statement_timeout
    "55P03": TimeLimitExceeded,  # lock_timeout
    "25P03": TimeLimitExceeded,  # idle_in_transaction_session_timeout
    # materials (migration 0012)
    "WC060": ZoneRuleViolation,
    "WC061": InsufficientStock,
    "WC062": LotOnHold,
    "WC063": LotExpired,
    "WC064": LotNotReleased,
    "WC065": SupplierNotApproved,
    "WC066": ReceivingRefused,
    "WC067": InvalidInput,  # serial refused
    "WC068": RuleViolation,  # ledger rule
    "WC069": RuleViolation,  # shipment refused
    "WC071": RecordLocked,
    "WC072": AppendOnly,  # on-hand / serial place written outside the ledger
    # materials, second part (migration 0014)
    "WC073": UnitConversionRefused,
    "WC074": RecordLocked,  # a conversion never changes; not the item's own unit
    "WC075": OverReceipt,
    "WC076": ReceivingRefused,  # PO line rule
    "WC077": RuleViolation,  # retest extension refused
    "WC078": InvalidInput,  # label issue refused
    # materials on the floor (migration 0028)
    "WC220": WholeUnitsOnly,
    # standard unit conversions (migration 0031)
    "WC200": UnitConversionRefused,  # a conversion row contradicting the standard factor
    # equipment (migration 0015)
    "WC100": EquipmentUnknown,
    "WC101": WrongEquipment,
    "WC102": EquipmentOutOfService,
    "WC103": EquipmentOutOfCalibration,
    "WC104": EquipmentNotClean,
    "WC105": RecordLocked,  # registry facts (asset id, class, serial, balance data)
    "WC106": RuleViolation,  # calibration / cleaning record refused
    "WC107": RuleViolation,  # use refused (context, reading)
    "WC108": AppendOnly,  # due dates written outside their records
    "WC109": DeviceMismatch,
    # equipment at the work-order steps (migration 0021)
    "WC150": WrongEquipment,  # the step names no class / the unit is not of its class
    "WC151": SignatureRefused,  # "performed" before the unit used is recorded
    "WC152": StepBlocked,  # the step does not close without the unit used
    "WC153": InvalidInput,  # a "balance" value without its reading (forged source)
    "WC154": InvalidInput,  # weighing refused (not numeric, not a balance, another unit)
    # inspections at the routing steps (migration 0030)
    "WC190": InspectionRefused,  # the step's inspection has no released template
    "WC191": SignatureRefused,  # the step signed before its inspection is accepted
    "WC192": StepBlocked,  # the step closed before its inspection is accepted
    "WC193": InspectionRefused,  # a step's inspection is referred to an NCR, not rejected
    "WC194": AppendOnly,  # a step's inspection link is the database's
    "WC195": StepBlocked,  # an entry at a step its NCR stopped the work order at (or after)
    "WC196": RuleViolation,  # a routing revision's purpose never changes
    "WC197": RuleViolation,  # a rework work order not planned again
    # work orders and execution (migration 0013)
    "WC080": RuleViolation,  # work order rule (planning, release)
    "WC081": StaleRecord,  # the step changed at another station: nothing saved
    "WC082": ComponentRefused,
    "WC083": RecordLocked,  # the lock of a work order never changes
    "WC084": RuleViolation,  # step not open for entries
    "WC085": InvalidInput,  # entry refused
    "WC086": NotQualified,
    "WC087": SignatureRefused,  # step signature refused
    "WC088": StepBlocked,
    "WC089": RuleViolation,  # deviation rule
    "WC090": RuleViolation,  # work order move refused
    "WC091": RuleViolation,  # output rule
    "WC092": SignatureRefused,  # output lot release refused (reviewed first; not a participant)
    "WC093": AppendOnly,  # execution records are written by the database's functions only
    "WC094": RuleViolation,  # qualification record rule
    "WC140": RuleViolation,  # record copy refused (unknown subject, malformed digests)
    "WC141": RuleViolation,  # this copy is registered already
    "WC180": RuleViolation,  # no true copy of this kind of record / format (migration 0024)
    "WC181": NotFound,  # a true copy of a record that does not exist
    # work orders, second part (migration 0022)
    "WC160": ComponentRefused,  # a serial consumed in another unit than its lot's
    # account controls (migration 0029)
    "WC170": RuleViolation,  # an account in a dormancy decision is not dormant / disabled
    "WC171": InvalidInput,  # a dormancy decision's list is empty, too long, or repeats
    "WC172": RuleViolation,  # reader test refused (a pass not read at its own station)
    "WC174": InvalidInput,  # an account-policy change that changes nothing
    # quality (migration 0018)
    "WC115": ReferenceDataInvalid,
    "WC116": PlanNotAvailable,  # no plan from the tables / manual plan refused
    "WC117": RecordLocked,  # inspection template not a draft
    "WC119": InspectionRefused,  # result refused
    "WC121": RecordLocked,  # inspection facts fixed
    "WC123": NcrRefused,
    "WC126": RuleViolation,  # switching move refused
    "WC128": RuleViolation,  # risk matrix
    "WC130": RuleViolation,  # CAPA
    "42501": PermissionDenied,
    "23505": InvalidInput,
    "23514": InvalidInput,
    "23503": InvalidInput,
    "23P01": RuleViolation,
}


def translate(exc: BaseException) -> WorkCellError | None:
    """Map a SQLAlchemy / psycopg exception to a WorkCellError, or None if unknown."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import exc as orm_exc

    if isinstance(exc, WorkCellError):
        return exc
    if isinstance(exc, orm_exc.StaleDataError):
        return StaleRecord(
            "Someone else changed this record after you opened it. Reload it and try again."
        )
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) and _is_connection(exc):
        return DatabaseUnavailable(
            "The database cannot be reached. Nothing was saved; your entry is kept. "
            "Try again in a moment or call IT."
        )
    orig: Any = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "25006":
        # read_only_sql_transaction: the server this connection reached is no longer the
        # primary (a failover demoted it, or it is a standby); the station retries and its
        # multi-host URL (target_session_attrs=read-write) finds the new primary
        return DatabaseUnavailable(
            "The database is switching servers. Nothing was saved; your entry is kept. "
            "Try again in a moment."
        )
    unstorable = _unstorable(exc, orig)
    if unstorable is not None:
        return unstorable
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _BY_SQLSTATE:
        diag = getattr(orig, "diag", None)
        primary = getattr(diag, "message_primary", None) or str(orig)
        return _BY_SQLSTATE[sqlstate](_friendly(sqlstate, primary, diag))
    return None


_NOT_TEXT = (
    "A value holds characters that cannot be stored ({what}; e.g. a scanner or badge reader "
    "sending undecodable bytes). Nothing was saved; enter or scan it again."
)


def _unstorable(exc: BaseException, orig: Any) -> InvalidInput | None:
    """Input PostgreSQL cannot take as text: NUL, lone surrogates (undecodable bytes from a
    wedge), characters outside the database's encoding, a value too big for an index."""
    chain = [exc, orig, exc.__cause__, getattr(orig, "__cause__", None)]
    if any(isinstance(e, UnicodeError) for e in chain):
        return InvalidInput(_NOT_TEXT.format(what="invalid text"))
    if any(isinstance(e, ValueError) and "NUL" in str(e) for e in chain) or (
        "cannot contain NUL" in str(orig)
    ):
        return InvalidInput(_NOT_TEXT.format(what="a NUL character"))
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("22021", "22P05"):
        return InvalidInput(_NOT_TEXT.format(what="a character outside the database's encoding"))
    if sqlstate == "54000":
        return InvalidInput("A value is far too long to be stored here. Nothing was saved.")
    return None


def _friendly(sqlstate: str, primary: str, diag: Any) -> str:
    if sqlstate == "23505":
        detail = getattr(diag, "message_detail", None)
        return f"That value is already in use. {detail or ''}".strip()
    if sqlstate == "23514":
        constraint = getattr(diag, "constraint_name", "") or ""
        if constraint.endswith("_len"):
            from domain.field_caps import cap_message

            return cap_message(constraint) or (
                f"A value is too long for this field ({constraint}). Shorten it; nothing was saved."
            )
        if constraint.endswith("_whole_each"):
            return (
                "Something counted in each (ea) is counted in whole units: a quantity with "
                "a fraction of a piece was refused; nothing was saved."
            )
        return f"A value is not allowed here ({constraint})."
    if sqlstate in _TIME_LIMITS:
        return _TIME_LIMITS[sqlstate]
    hint = getattr(diag, "message_hint", None)
    hinted = sqlstate in ("WC011", "WC012", "WC013") or sqlstate[:4] in _HINTED
    if hint and hinted:
        return f"{primary} {hint}"
    return primary


_HINTED = (
    "WC03", "WC06", "WC08", "WC09", "WC10", "WC11", "WC12", "WC13", "WC15", "WC17", "WC20",
    "WC22",
)  # fmt: skip
_TIME_LIMITS = {
    # 57014 is both the station's statement limit and a cancel by the server (a DBA's
    # pg_cancel_backend, a shutdown's): the message must be true of both
    "57014": "The database stopped this action (the station's time limit, or the server "
    "cancelled it). Nothing was saved; try again, and call IT if it keeps happening.",
    "55P03": "The record is busy (another station holds it). Nothing was saved; try again in a "
    "moment.",
    "25P03": "The station left its database transaction open too long and it was ended. Nothing "
    "was saved; try again.",
}


def _is_connection(exc: Any) -> bool:
    if getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate is None or str(sqlstate).startswith("08") or sqlstate in ("57P01", "57P03")
