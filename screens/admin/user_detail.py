"""One user: state, roles and badges, and every administrator action on them.

Each action gathers what it needs (role, badge, reason, new card, temporary PIN), then
opens the re-authentication dialog, which shows exactly what will change and performs it
only with the administrator's badge/card + PIN. Irreversible ones are confirmed first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from domain.views.audit import AuditFilter
from screens.admin import backend as ab
from screens.admin.common import permitted
from screens.admin.forms import CardCaptureModal, ChoiceModal, ReasonModal, TemporaryPinModal
from screens.admin.reasons import STATE_REASONS, ReasonSpec
from screens.admin.reauth import ReauthModal
from screens.admin.users import status_text
from screens.base import StationScreen, call_backend
from screens.modals.confirm import ConfirmModal
from screens.station import fmt_time, station_of
from screens.widgets.tap_table import TapTable

LOST = ("Reported lost", "Stolen", "Damaged", "Left company")
ACTION_BUTTONS = (
    (ab.GRANT_ROLE, "Grant role"),
    (ab.REVOKE_ROLE, "Revoke role"),
    (ab.ISSUE_BADGE, "Issue badge"),
    (ab.REPLACE_BADGE, "Replace badge"),
    (ab.REVOKE_BADGE, "Revoke badge"),
    (ab.RESET_PIN, "Reset PIN"),
    (ab.UNLOCK, "Unlock"),
    (ab.LOCK, "Lock"),
    (ab.DISABLE, "Disable"),
    (ab.VERIFY_IDENTITY, "Verify ID"),
)


class UserDetailScreen(StationScreen):
    CSS_PATH = "user_detail.tcss"
    TITLE_TEXT = "User"

    def __init__(
        self,
        backend: ab.AdminBackend,
        username: str,
        open_trail: Callable[[AuditFilter, str], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.username = username
        self.open_trail = open_trail
        self.card: ab.UserCard | None = None
        self.TITLE_TEXT = f"User {username}"

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        yield Static("Loading…", id="user-facts")
        with Grid(id="user-actions"):
            for action, label in ACTION_BUTTONS:
                variant = "error" if action in (ab.DISABLE, ab.REVOKE_BADGE) else "default"
                yield Button(label, id=f"act-{action}", variant=variant, classes="action")  # type: ignore[arg-type]
            if self.open_trail is not None:
                yield Button("Activity ▶", id="trail-by", classes="trail")
                yield Button("History ▶", id="trail-of", classes="trail")
        yield TapTable(id="user-badges", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#user-badges", DataTable)
        table.add_columns("Badge", "Issued", "Status", "Reason", "Replaces")
        if permitted(self, "user.administer") is None:
            self.query_one("#user-actions").display = False
            self.query_one("#user-facts").display = False
            return
        self.load()

    def load(self) -> None:
        user = permitted(self, "user.administer")
        if user is not None:
            name = self.username
            call_backend(self, lambda: self.backend.user_card(user.username, name), self.show)

    def show(self, card: ab.UserCard) -> None:
        self.card = card
        u, tz = card.user, station_of(self).tz
        facts = Text.assemble(
            (f"{u.printed_name}", "bold"),
            f"  ({u.username})  ",
            status_text(u.status),
            "\n",
            f"Roles: {', '.join(u.roles) or 'none'}   PIN: {u.pin}   ",
            (
                "ID verified   " if u.identity_verified else "ID NOT VERIFIED   ",
                "" if u.identity_verified else "bold yellow",
            ),
            (f"Failed PIN attempts: {u.failed_attempts}", "bold red" if u.failed_attempts else ""),
        )
        self.query_one("#user-facts", Static).update(facts)
        table = self.query_one("#user-badges", DataTable)
        table.clear()
        for b in card.badges:
            state = (
                Text(f"REVOKED {fmt_time(b.revoked_at, tz)}", style="bold red")
                if b.revoked_at
                else Text("ACTIVE", style="bold green")
            )
            table.add_row(
                str(b.id),
                fmt_time(b.issued_at, tz),
                state,
                b.revoke_reason or "",
                "" if b.replaces_id is None else str(b.replaces_id),
            )
        self._enable(u)

    def _enable(self, u: ab.UserRow) -> None:
        active = [b for b in (self.card.badges if self.card else ()) if b.revoked_at is None]
        open_ = u.status != "disabled"
        allowed = {
            ab.GRANT_ROLE: open_,
            ab.REVOKE_ROLE: bool(u.roles),
            ab.ISSUE_BADGE: open_,
            ab.REPLACE_BADGE: open_ and bool(active),
            ab.REVOKE_BADGE: bool(active),
            ab.RESET_PIN: open_,
            ab.UNLOCK: u.status == "locked",
            ab.LOCK: u.status == "active",
            ab.DISABLE: open_,
            ab.VERIFY_IDENTITY: open_,
        }
        for action, ok in allowed.items():
            self.query_one(f"#act-{action}", Button).disabled = not ok
        focused = self.focused
        if not isinstance(focused, Button) or focused.disabled or focused.id == "nav-back":
            first = next(
                (
                    b
                    for b in self.query("#user-actions > .action").results(Button)
                    if not b.disabled
                ),
                None,
            )
            if first is not None:
                first.focus()

    @on(Button.Pressed, ".trail")
    def trail(self, event: Button.Pressed) -> None:
        """The audit trail of what this person did, or of changes to their account."""
        if self.open_trail is None or self.card is None:
            return
        u = self.card.user
        if event.button.id == "trail-by":
            flt, title = AuditFilter(user=u.username), f"Actions of {u.username}"
        else:
            flt = AuditFilter(table="users", record=str(u.user_id))
            title = f"Account history: {u.username}"
        self.app.push_screen(self.open_trail(flt, title))

    @on(Button.Pressed, "#user-actions > Button.action")
    def act(self, event: Button.Pressed) -> None:
        self.run_flow((event.button.id or "").removeprefix("act-"))

    @work(exclusive=True, group="admin-flow")
    async def run_flow(self, action: str) -> None:
        """Gather the action's inputs dialog by dialog (the last one checks the whole
        request before it closes), then re-authenticate and act. Backing out of the
        re-authentication brings the last dialog back with what was entered."""
        if self.card is None or permitted(self, "user.administer") is None:
            return
        user = station_of(self).current_user
        if user is None:
            return
        request = await self._gather(action, self.card, None, "")
        while request is not None:
            pending = self.backend.admin_action(user.username, request)
            done = await self.app.push_screen_wait(ReauthModal(pending))
            if done is not None:
                self.notify(done.done, title="Done", timeout=6)
                break
            request = await self._gather(
                action, self.card, request, "Not done yet: confirm again, or Cancel."
            )
        self.load()

    async def _ask(self, screen: Any) -> Any:
        return await self.app.push_screen_wait(screen)

    def _checker(self, make: Callable[[Any], ab.AdminRequest]) -> Callable[[Any], None]:
        """The check a dialog runs on its value (in a worker) before it closes: the request
        it completes, judged by the backend before anyone's badge and PIN."""
        actor = station_of(self).current_user
        backend, username = self.backend, actor.username if actor else ""
        return lambda value: backend.check_request(username, make(value))

    async def _gather(
        self, action: str, card: ab.UserCard, kept: ab.AdminRequest | None, error: str
    ) -> ab.AdminRequest | None:
        """The request, dialog by dialog; with ``kept`` (a request that was refused or not
        confirmed) only its last dialog comes back, filled in, with ``error`` on it."""
        u = card.user
        active = [b for b in card.badges if b.revoked_at is None]
        name = u.username
        if action == ab.GRANT_ROLE:
            base = ab.AdminRequest(action, name)
            choices = [(r, r) for r in self.backend.role_names() if r not in u.roles]
            role = await self._ask(
                ChoiceModal(
                    f"Grant which role to {name}?",
                    choices,
                    check=self._checker(lambda r: replace(base, role=r)),
                    error=error,
                )
            )
            return None if role is None else replace(base, role=role)
        if action == ab.REVOKE_ROLE:
            role = kept.role if kept else None
            if role is None:
                role = await self._ask(
                    ChoiceModal(f"Revoke which role from {name}?", [(r, r) for r in u.roles])
                )
            if role is None:
                return None
            return await self._reason(
                ab.AdminRequest(action, name, role=role),
                ReasonSpec(f"Revoke {role} from {name}", "Why?"),
                kept,
                error,
            )
        if action == ab.ISSUE_BADGE:
            return await self._card(ab.AdminRequest(action, name), kept, error)
        if action in (ab.REPLACE_BADGE, ab.REVOKE_BADGE):
            return await self._badge_flow(action, name, active, kept, error)
        return await self._state_flow(action, name, kept, error)

    async def _reason(
        self, base: ab.AdminRequest, spec: ReasonSpec, kept: ab.AdminRequest | None, error: str
    ) -> ab.AdminRequest | None:
        """The reason dialog; checks the request it completes before closing."""
        reason = await self._ask(
            ReasonModal(
                spec.title,
                spec.text,
                spec.presets,
                ok=spec.ok,
                value=kept.reason if kept else "",
                check=self._checker(lambda r: replace(base, reason=r)),
                error=error,
            )
        )
        return None if reason is None else replace(base, reason=reason)

    async def _card(
        self, base: ab.AdminRequest, kept: ab.AdminRequest | None, error: str
    ) -> ab.AdminRequest | None:
        """The new card: a card already issued is refused on this dialog, before the PIN."""
        uid = await self._ask(
            CardCaptureModal(
                base.username,
                kept=kept.badge_uid if kept else None,
                check=self._checker(lambda v: replace(base, badge_uid=v)),
                error=error,
            )
        )
        return None if uid is None else replace(base, badge_uid=uid)

    async def _badge_flow(
        self,
        action: str,
        name: str,
        active: list[ab.BadgeRow],
        kept: ab.AdminRequest | None,
        error: str,
    ) -> ab.AdminRequest | None:
        verb = "Replace" if action == ab.REPLACE_BADGE else "Revoke"
        if kept is not None and kept.badge_id is not None:
            if action == ab.REPLACE_BADGE:
                return await self._card(kept, kept, error)
            return await self._reason(kept, self._lost(verb, kept.badge_id, name), kept, error)
        tz = station_of(self).tz
        choices = [(str(b.id), f"Badge {b.id}, issued {fmt_time(b.issued_at, tz)}") for b in active]
        picked = (
            choices[0][0]
            if len(choices) == 1
            else await self._ask(ChoiceModal(f"Which of {name}'s badges?", choices))
        )
        if picked is None:
            return None
        base = ab.AdminRequest(action, name, badge_id=int(picked))
        spec = self._lost(verb, int(picked), name)
        if action == ab.REVOKE_BADGE:
            return await self._reason(base, spec, None, "")
        # replace: the reason first (checked with the card, the last step)
        reason = await self._ask(ReasonModal(spec.title, spec.text, spec.presets))
        if reason is None:
            return None
        return await self._card(replace(base, reason=reason), None, "")

    @staticmethod
    def _lost(verb: str, badge_id: int, name: str) -> ReasonSpec:
        return ReasonSpec(
            f"{verb} badge {badge_id} of {name}",
            "The old badge stops working at once and is never re-issued.",
            LOST,
        )

    async def _state_flow(
        self, action: str, name: str, kept: ab.AdminRequest | None, error: str
    ) -> ab.AdminRequest | None:
        base = kept or ab.AdminRequest(action, name)
        if kept is None and action == ab.RESET_PIN:
            pin = await self._ask(
                TemporaryPinModal(name, check=self._checker(lambda p: replace(base, pin=p)))
            )
            if pin is None:
                return None
            base = replace(base, pin=pin)
        if kept is None and action == ab.DISABLE:
            sure = await self._ask(
                ConfirmModal(
                    f"Disable {name}?",
                    "A disabled account never signs in or signs again, and its username is "
                    "never reused. Their records and signatures stay.",
                    confirm="Disable",
                    cancel="Keep",
                )
            )
            if not sure:
                return None
        return await self._reason(base, STATE_REASONS[action](name), kept, error)
