"""Home tiles of the admin, security and audit areas, on the station's database and settings."""

from __future__ import annotations

from typing import Any

from domain.audit.query import AuditFilter
from kiosk.admin_backend import AdminStationBackend
from kiosk.audit_backend import AuditStationBackend
from kiosk.review_backend import ReviewStationBackend
from kiosk.station_backend import StationsStationBackend
from screens.admin.account_review import AccountReviewScreen
from screens.admin.backend import AdminBackend
from screens.admin.stations import StationsScreen
from screens.admin.user_detail import UserDetailScreen
from screens.admin.users import UsersScreen
from screens.audit.backend import AuditBackend
from screens.audit.browser import AuditBrowserScreen
from screens.audit.integrity import IntegrityScreen
from screens.home import Tile
from screens.security_events import SecurityEventsPanel, SecurityEventsScreen


def users_screen(admin: AdminBackend, audit: AuditBackend | None = None) -> UsersScreen:
    def trail(flt: AuditFilter, title: str) -> AuditBrowserScreen:
        assert audit is not None
        return AuditBrowserScreen(audit, flt, title=title)

    opener = trail if audit is not None else None
    return UsersScreen(admin, lambda name: UserDetailScreen(admin, name, opener))


def admin_tiles(station_backend: Any) -> list[Tile]:
    """Tiles for users/badges, security events, the audit trail and its integrity."""
    factory = getattr(station_backend, "session_factory", None)
    settings = getattr(station_backend, "settings", None)
    if factory is None or settings is None:
        return []
    sessions = getattr(station_backend, "sessions", None)  # one SessionBook per station
    admin = AdminStationBackend(factory, settings, sessions=sessions)
    audit = AuditStationBackend(factory, settings, sessions=sessions)
    return [
        Tile(
            "security",
            "Security events",
            "Failed sign-ins, lockouts",
            lambda: SecurityEventsScreen(admin),
            permission="security.view",
            panel=lambda: SecurityEventsPanel(admin),
        ),
        Tile(
            "audit",
            "Audit trail",
            "Who changed what, when, why",
            lambda: AuditBrowserScreen(audit),
            permission="audit.view",
        ),
        Tile(
            "audit-integrity",
            "Audit integrity",
            "Seal, verify, export",
            lambda: IntegrityScreen(audit),
            permission="audit.view",
        ),
        Tile(
            "users",
            "Users and badges",
            "Roles, badges, PINs",
            lambda: users_screen(admin, audit),
            permission="user.administer",
        ),
        Tile(
            "account-review",
            "Account review",
            "Dormant accounts, reader tests",
            lambda: AccountReviewScreen(ReviewStationBackend(factory, settings.name, sessions)),
            permission="security.view",
        ),
        Tile(
            "stations",
            "Stations",
            "Registered stations, blocks",
            lambda: StationsScreen(StationsStationBackend(factory, sessions)),
            permission="user.administer",
        ),
    ]
