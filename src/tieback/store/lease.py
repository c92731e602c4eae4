"""One post-back at a time per tracker: a lease kept in the store, renewed while held.

Two ``tieback post`` runs at once (a cron that overran, a manual run beside the
schedule) would each plan from the same state and each write the same comments. The
second run waits for the first's lease instead, then plans from what the first wrote.
A run that is killed stops renewing its lease, which then expires within
``LEASE_SECONDS``: nobody has to clear it by hand.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tieback.errors import SinkError
from tieback.store import Store

if TYPE_CHECKING:
    from tieback.config import Config

LEASE_SECONDS = 60.0  # how long a lease outlives its last renewal
RENEW_EVERY = 15.0
POLL_EVERY = 1.0  # how often a waiting run asks again


@contextmanager
def post_lease(
    config: Config,
    tracker: str,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the post-back lease of ``tracker`` for the block, waiting up to ``[store]
    lock_timeout`` seconds for another run's to end; SinkError if it does not."""
    name = f"post:{tracker}"
    started = datetime.now(UTC).isoformat(timespec="seconds")
    holder = f"{socket.gethostname()} pid {os.getpid()} since {started} {secrets.token_hex(4)}"
    wait = config.settings.store.lock_timeout
    location = config.store_location
    deadline = clock() + wait
    told = False
    while True:
        with Store.open(location) as store:
            now = clock()
            current = store.take_lease(name, holder, now + LEASE_SECONDS, now)
        if current == holder:
            break
        if clock() >= deadline:
            raise SinkError(
                f"{tracker}: another tieback post ({_who(current)}) is still writing after "
                f"{wait:g} s ([store] lock_timeout); nothing was written: try again once it ends"
            )
        if not told:
            print(
                f"tieback: {tracker}: waiting for another tieback post ({_who(current)}) to "
                f"end, up to {wait:g} s",
                file=sys.stderr,
                flush=True,
            )
            told = True
        sleep(min(POLL_EVERY, max(deadline - clock(), 0.0)))

    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(RENEW_EVERY):
            try:
                with Store.open(location) as store:
                    now = clock()
                    store.take_lease(name, holder, now + LEASE_SECONDS, now)
            except Exception:  # a missed renewal leaves the lease to expire; the next tries
                continue

    keeper = threading.Thread(target=renew, name="tieback-lease", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()
        with Store.open(location) as store:
            store.drop_lease(name, holder)


def _who(holder: str) -> str:
    """A holder as messages show it: host, process and start, without its random tag."""
    return holder.rsplit(" ", 1)[0]
