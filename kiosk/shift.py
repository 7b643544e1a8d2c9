"""Who is at the station: sign-in, idle lock, unlock, another person taking over, drafts.

Rules (docs/kiosk.md):
- After ``idle_timeout_s`` without a key or touch the station locks: the lock screen is
  pushed over the open screens, which keep their unsaved input underneath.
- The same person's badge + PIN unlocks with everything as it was.
- Anyone else signing in parks the previous person's unsaved input as their draft on this
  station (hidden from the newcomer) before the screens are closed; if parking fails the
  station stays locked, so nothing typed is ever lost silently.
- At sign-in, a person's parked drafts on this station are offered back: resume or discard
  (discarding asks for confirmation; both are audited).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from domain.errors import WorkCellError
from screens.backend import Draft, SignedInUser
from screens.base import call_backend
from screens.home import HomeScreen
from screens.modals.confirm import ConfirmModal
from screens.modals.drafts import DraftOfferModal
from screens.sign_in import SignInScreen

if TYPE_CHECKING:
    from kiosk.app import WorkCellApp

Parked = list[tuple[str, str, dict[str, Any]]]


class Shift:
    def __init__(self, app: WorkCellApp) -> None:
        self.app = app
        self.locked = False

    def start(self) -> None:
        self.app.push_screen(SignInScreen(), self.signed_in)

    # -- signing in and out ----------------------------------------------------------------

    def signed_in(self, user: SignedInUser | None) -> None:
        if user is None:
            return
        self.app.current_user = user
        self.app.last_activity = time.monotonic()
        self.app.push_screen(HomeScreen(self.app.tiles))
        self.offer_drafts(user)

    def request_sign_out(self) -> None:
        lost = self.unsaved_input()
        text = "Unsaved input on the open screens will be lost." if lost else "Nothing is unsaved."
        self.app.push_screen(
            ConfirmModal("Sign out?", text, confirm="Sign out", cancel="Stay"), self._sign_out
        )

    def _sign_out(self, confirmed: bool | None) -> None:
        if confirmed:
            self.app.run_worker(self._close_all(then_sign_in=True), group="shift")

    async def _close_all(self, *, then_sign_in: bool) -> None:
        while len(self.app.screen_stack) > 1:
            await self.app.pop_screen()
        self.locked = False
        if then_sign_in:
            self.app.current_user = None
            self.start()

    # -- idle lock ---------------------------------------------------------------------------

    def check_idle(self) -> None:
        idle = time.monotonic() - self.app.last_activity
        if idle >= self.app.settings.idle_timeout_s:
            self.lock()

    def lock(self) -> None:
        user = self.app.current_user
        if user is None or self.locked:
            return
        self.locked = True
        self.app.push_screen(SignInScreen(locked_for=user), self._unlocked)

    def _unlocked(self, user: SignedInUser | None) -> None:
        previous = self.app.current_user
        if user is None or previous is None:
            return
        self.locked = False
        self.app.last_activity = time.monotonic()
        if user.username == previous.username:
            self.app.current_user = user
            return
        self._take_over(previous, user)

    def badge_while_signed_in(self, uid: str) -> None:
        """A badge tapped on a screen that signs nothing: lock, then treat it as sign-in."""
        self.app.notify("Badge read: enter the PIN to switch to that person.", title="Badge")
        self.lock()
        self.app.call_after_refresh(self._forward_badge, uid)

    def _forward_badge(self, uid: str) -> None:
        from screens.messages import BadgePresented

        self.app.screen.post_message(BadgePresented(uid, "", True))

    # -- another person takes over: park the previous person's input ------------------------

    def unsaved_input(self) -> Parked:
        parked: Parked = []
        for screen in self.app.screen_stack:
            getter = getattr(screen, "unsaved_input", None)
            key = getattr(screen, "DRAFT_SCREEN", None)
            if getter is None or key is None:
                continue
            found = getter()
            if found is not None:
                summary, payload = found
                parked.append((key, summary, payload))
        return parked

    def _take_over(self, previous: SignedInUser, user: SignedInUser) -> None:
        parked = self.unsaved_input()
        if not parked:
            self.app.run_worker(self._start_for(user), group="shift")
            return
        backend = self.app.backend

        def failed(error: WorkCellError) -> None:
            # Nothing may be lost: the previous person's screens stay, locked.
            self.app.notify(
                f"{previous.printed_name}'s unsaved input could not be kept, so the station "
                f"stays theirs. {error.message}",
                title="Not switched",
                severity="error",
                timeout=10,
            )
            self.lock()

        call_backend(
            self.app,
            lambda: backend.park(user.username, previous.username, parked),
            lambda _: self.app.run_worker(self._start_for(user), group="shift"),
            failed=failed,
            group="shift-park",
        )

    async def _start_for(self, user: SignedInUser) -> None:
        await self._close_all(then_sign_in=False)
        self.signed_in(user)

    # -- drafts offered back at sign-in -----------------------------------------------------

    def offer_drafts(self, user: SignedInUser) -> None:
        backend = self.app.backend
        call_backend(
            self.app,
            lambda: backend.drafts_for(user.username),
            lambda found: self._offer(user, found),
            group="drafts",
        )

    def _offer(self, user: SignedInUser, found: list[Draft]) -> None:
        if not found or self.app.current_user != user:
            return
        draft = found[0]
        self.app.push_screen(
            DraftOfferModal(draft, len(found) - 1),
            lambda choice: self._chosen(user, draft, choice),
        )

    def _chosen(self, user: SignedInUser, draft: Draft, choice: str | None) -> None:
        backend = self.app.backend
        if choice == "resume":
            call_backend(
                self.app,
                lambda: backend.resume(user.username, draft.id),
                lambda d: self._resumed(user, d),
                group="drafts",
            )
        elif choice == "discard":
            self.app.push_screen(
                ConfirmModal(
                    "Discard this draft?",
                    f"{draft.summary}\nIt cannot be recovered; the discard is recorded in the "
                    "audit trail.",
                    confirm="Discard",
                    cancel="Keep",
                ),
                lambda yes: self._discard(user, draft, bool(yes)),
            )

    def _discard(self, user: SignedInUser, draft: Draft, confirmed: bool) -> None:
        if not confirmed:
            self.offer_drafts(user)
            return
        backend = self.app.backend
        call_backend(
            self.app,
            lambda: backend.discard(user.username, draft.id),
            lambda _: self.offer_drafts(user),
            group="drafts",
        )

    def _resumed(self, user: SignedInUser, draft: Draft) -> None:
        restore = self.app.restorers.get(draft.screen)
        if restore is None:
            self.app.notify(f"This station cannot reopen {draft.screen!r}.", severity="error")
        else:
            self.app.push_screen(restore(draft.payload))
        self.offer_drafts(user)
