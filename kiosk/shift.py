"""Who is at the station: sign-in, idle lock, unlock, another person taking over, drafts.

Rules (docs/kiosk.md):
- After ``idle_timeout_s`` without a key or touch the station locks (sooner when the
  database's session idle time, less a grace of 30 s, is shorter): the lock screen is
  pushed over the open screens, which keep their unsaved input underneath. Locking,
  signing out and another person taking over end the person's database session; while
  someone is busy at the station their session is kept from idling out in the database.
- The same person's badge + PIN unlocks with everything as it was.
- Anyone else signing in parks the previous person's unsaved input as their draft on this
  station (hidden from the newcomer) before the screens are closed; if parking fails the
  station stays locked, so nothing typed is ever lost silently.
- At sign-in, a person's parked drafts on this station are offered back: resume or discard
  (discarding asks for confirmation; both are audited).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from textual.app import App
from textual.screen import Screen

from domain.errors import AttributionError, WorkCellError
from screens.backend import Draft, DraftsBackend, SessionBackend, SignedInUser
from screens.base import call_backend
from screens.contracts import DraftSource
from screens.home import HomeScreen, Tile
from screens.modals.confirm import ConfirmModal
from screens.modals.drafts import DraftOfferModal
from screens.sign_in import SignInScreen
from screens.switching import SwitchingScreen

Parked = list[tuple[str, str, dict[str, Any]]]

# The station locks this long before the database would end an idle session.
SESSION_GRACE_S = 30
MIN_KEEP_ALIVE_S = 5.0


class ShiftBackend(SessionBackend, DraftsBackend, Protocol):
    """What the shift asks of the station's backend: sessions and drafts."""


class ShiftHost(Protocol):
    """What the shift needs of the station app besides Textual's App (kiosk.app.WorkCellApp,
    which creates it): named here so that this module does not import the app."""

    current_user: SignedInUser | None
    last_activity: float

    @property
    def backend(self) -> ShiftBackend: ...

    @property
    def settings(self) -> Any: ...  # kiosk.settings.StationSettings

    @property
    def tiles(self) -> Sequence[Tile]: ...

    @property
    def restorers(self) -> dict[str, Callable[[dict[str, Any]], Screen[Any]]]: ...


class Shift:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.host = cast(ShiftHost, app)
        self.locked = False
        self._alive_at = time.monotonic()  # when the session was last kept alive
        self._alive_busy = False

    def start(self) -> None:
        self.app.push_screen(SignInScreen(), self.signed_in)

    # -- signing in and out ----------------------------------------------------------------

    def signed_in(self, user: SignedInUser | None) -> None:
        if user is None:
            return
        self.host.current_user = user
        self.host.last_activity = self._alive_at = time.monotonic()
        self.app.push_screen(HomeScreen(self.host.tiles))
        self.offer_drafts(user)

    def request_sign_out(self) -> None:
        lost = self.unsaved_input()
        text = "Unsaved input on the open screens will be lost." if lost else "Nothing is unsaved."
        self.app.push_screen(
            ConfirmModal("Sign out?", text, confirm="Sign out", cancel="Stay"), self._sign_out
        )

    def _sign_out(self, confirmed: bool | None) -> None:
        if confirmed:
            user = self.host.current_user
            if user is not None:
                self.end_session(user, "signed out")
            self.app.run_worker(self._close_all(then_sign_in=True), group="shift")

    def end_session(self, user: SignedInUser, reason: str) -> None:
        """End ``user``'s database session (in a worker: it may wait for the database)."""
        backend = self.host.backend
        call_backend(
            self.app,
            lambda: backend.sign_out(user.username, reason),
            lambda _: None,
            failed=lambda _: None,
            group=f"sign-out-{user.username}",
        )

    def _pop_all(self) -> list[Any]:
        """Close every screen above the base at once: no await between the pops, so nobody
        sees the screens underneath (the previous person's) on the way out."""
        return [self.app.pop_screen() for _ in range(len(self.app.screen_stack) - 1)]

    async def _close_all(self, *, then_sign_in: bool) -> None:
        closing = self._pop_all()
        self.locked = False
        if then_sign_in:
            self.host.current_user = None
            self.start()
        for pop in closing:
            await pop

    # -- idle lock ---------------------------------------------------------------------------

    def idle_limit(self) -> float:
        """Seconds without a key or touch before the station locks."""
        limit = float(self.host.settings.idle_timeout_s)
        user = self.host.current_user
        if user is not None and user.idle_s:
            limit = min(limit, float(max(1, user.idle_s - SESSION_GRACE_S)))
        return limit

    def check_idle(self) -> None:
        idle = time.monotonic() - self.host.last_activity
        if idle >= self.idle_limit():
            self.lock("idle lock")
            return
        self._keep_alive()

    def lock(self, reason: str = "station locked") -> None:
        user = self.host.current_user
        if user is None or self.locked:
            return
        self.locked = True
        self.app.push_screen(SignInScreen(locked_for=user), self._unlocked)
        self.end_session(user, reason)

    def _keep_alive(self) -> None:
        """Someone busy at the station (keys, touches) without a database call in a while
        keeps their session: the database ends a session idle for its idle time."""
        user = self.host.current_user
        if user is None or self.locked or self._alive_busy:
            return
        now = time.monotonic()
        interval = max(MIN_KEEP_ALIVE_S, (user.idle_s or self.idle_limit()) / 4)
        if self.host.last_activity <= self._alive_at or now - self._alive_at < interval:
            return
        self._alive_at, self._alive_busy = now, True
        backend = self.host.backend

        def done(_: object) -> None:
            self._alive_busy = False

        def failed(error: WorkCellError) -> None:
            self._alive_busy = False
            if isinstance(error, AttributionError) and self.host.current_user == user:
                # ended in the database (an administrator locked the account, the station
                # was disabled, or the session timed out): the station locks too
                self.app.notify(error.message, title="Signed out", severity="warning")
                self.lock("session ended in the database")

        call_backend(
            self.app, lambda: backend.keep_alive(user.username), done, failed=failed,
            group="keep-alive",
        )  # fmt: skip

    def _unlocked(self, user: SignedInUser | None) -> None:
        previous = self.host.current_user
        if user is None or previous is None:
            return
        self.locked = False
        self.host.last_activity = self._alive_at = time.monotonic()
        if user.username == previous.username:
            self.host.current_user = user
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
            if not isinstance(screen, DraftSource):
                continue
            found = screen.unsaved_input()
            if found is not None:
                summary, payload = found
                parked.append((screen.DRAFT_SCREEN, summary, payload))
        return parked

    def _take_over(self, previous: SignedInUser, user: SignedInUser) -> None:
        parked = self.unsaved_input()
        # The previous person's screens stay mounted until their input is parked (nothing
        # is lost if that fails), covered so that the newcomer never sees them.
        self.app.push_screen(SwitchingScreen(user.printed_name))
        if not parked:
            self.app.run_worker(self._start_for(user), group="shift")
            return
        backend = self.host.backend

        def failed(error: WorkCellError) -> None:
            # Nothing may be lost: the previous person's screens stay, locked.
            self.app.notify(
                f"{previous.printed_name}'s unsaved input could not be kept, so the station "
                f"stays theirs. {error.message}",
                title="Not switched",
                severity="error",
                timeout=10,
            )
            self.end_session(user, "take-over refused: unsaved input not kept")
            if isinstance(self.app.screen, SwitchingScreen):
                self.app.pop_screen()
            self.lock()

        call_backend(
            self.app,
            lambda: backend.park(user.username, previous.username, parked),
            lambda _: self.app.run_worker(self._start_for(user), group="shift"),
            failed=failed,
            group="shift-park",
        )

    async def _start_for(self, user: SignedInUser) -> None:
        closing = self._pop_all()
        self.locked = False
        self.signed_in(user)  # the newcomer's home, before anything underneath could show
        for pop in closing:
            await pop

    # -- drafts offered back at sign-in -----------------------------------------------------

    def offer_drafts(self, user: SignedInUser) -> None:
        backend = self.host.backend
        call_backend(
            self.app,
            lambda: backend.drafts_for(user.username),
            lambda found: self._offer(user, found),
            group="drafts",
        )

    def _offer(self, user: SignedInUser, found: list[Draft]) -> None:
        if not found or self.host.current_user != user:
            return
        draft = found[0]
        self.app.push_screen(
            DraftOfferModal(draft, len(found) - 1),
            lambda choice: self._chosen(user, draft, choice),
        )

    def _chosen(self, user: SignedInUser, draft: Draft, choice: str | None) -> None:
        backend = self.host.backend
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
        backend = self.host.backend
        call_backend(
            self.app,
            lambda: backend.discard(user.username, draft.id),
            lambda _: self.offer_drafts(user),
            group="drafts",
        )

    def _resumed(self, user: SignedInUser, draft: Draft) -> None:
        restore = self.host.restorers.get(draft.screen)
        if restore is None:
            self.app.notify(f"This station cannot reopen {draft.screen!r}.", severity="error")
        else:
            self.app.push_screen(restore(draft.payload))
        self.offer_drafts(user)
