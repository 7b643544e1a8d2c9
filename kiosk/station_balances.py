"""The balances a station is wired to (StationSettings.balances: asset id → MT-SICS
address), one client each, kept between a tare and the reading that follows it (the tare
recorded is the one taken at this station). A client that failed is dropped and opened
again on the next use, so a balance switched off and on needs nothing but a retry.
Blocking: called from the screens' backend workers only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from hardware.balance import BalanceError, BalanceUnavailable, MtSicsBalance, open_balance


class StationBalances:
    def __init__(
        self,
        addresses: Mapping[str, str],
        opener: Callable[[str], MtSicsBalance] | None = None,
    ) -> None:
        self._addresses = {k.strip().upper(): v for k, v in addresses.items()}
        self._open = opener or (lambda url: open_balance(url, attempts=5, retry_pause_s=0.2))
        self._clients: dict[str, MtSicsBalance] = {}
        self._lock = threading.Lock()

    def connected(self, asset_id: str) -> bool:
        """Whether this station has an address for the unit (not whether it answers)."""
        return asset_id.strip().upper() in self._addresses

    @contextmanager
    def client(self, asset_id: str) -> Iterator[MtSicsBalance]:
        """The unit's client, one caller at a time; dropped when a call through it fails."""
        asset = asset_id.strip().upper()
        url = self._addresses.get(asset)
        if url is None:
            raise BalanceUnavailable(
                f"This station is not connected to {asset}: type the value (it is marked typed)."
            )
        with self._lock:
            balance = self._clients.get(asset)
            if balance is None:
                balance = self._clients[asset] = self._open(url)
            try:
                yield balance
            except BalanceError:
                self._clients.pop(asset, None)
                balance.close()
                raise

    def tare(self, asset_id: str) -> str:
        """Tare the balance (T); returns the tare taken, as shown: "2.5 g"."""
        with self.client(asset_id) as balance:
            weight = balance.tare()
        return f"{weight.value.normalize():f} {weight.unit}"

    def close(self) -> None:
        with self._lock:
            for balance in self._clients.values():
                balance.close()
            self._clients.clear()
