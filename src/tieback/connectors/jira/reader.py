"""Search answers read into items: in this process, or in a second one on a big listing.

A sync of a large Jira query spends most of its time on two things besides waiting on
the network: decoding each page's JSON, and turning its issues into items. Both hold
the interpreter lock, so the thread that writes the last page to the store waits for
them, and together they take longer than a request: the listing is bound by the CPU.
When a Cloud listing has ``WORKER_FROM`` issues or more still to fetch in bulk and the
machine has a second core, ``ItemReader`` starts one worker process and hands it each
bulk page's bytes; the worker returns the items. This process keeps the requests and
the store. (Data Center's pages are read here: each one says where the next starts.)

The worker starts in the background; pages are read here until it is ready. A page the
worker cannot read (a body that is not JSON, a worker that died) is read here instead,
which either succeeds or fails with the usual one-line error: nothing is lost, and no
page is read twice into the store.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from tieback.connectors.jira.payload import JiraFields, item_from_issue
from tieback.connectors.jira.rest import JiraApiError
from tieback.errors import SourceError
from tieback.model import Item

if TYPE_CHECKING:
    from tieback.connectors.jira.rest import Answer, JiraRest

__all__ = [
    "WORKER_FROM",
    "ItemReader",
    "RawReader",
    "Read",
    "Reader",
    "cores",
    "id_of",
    "split_answer",
]

# A listing with this many issues still to read is read in a worker process. Starting
# one costs about a fifth of a second of the other core, and a page of 1,000 issues read
# there saves this process 20 to 30 ms: at 9,000 issues to read it gained nothing, at
# 99,000 a quarter of the sync's time.
WORKER_FROM = 20_000


class Read(NamedTuple):
    """A search answer, read: what paging needs of it, and its issues."""

    found: Mapping[str, Any]  # the answer's fields but "issues": nextPageToken, total ...
    ids: list[str]  # each issue's id, in the answer's order ("" when it has none)
    issues: list[Any]  # each issue, raw, or what the reader made of it (same order)


class Reader(Protocol):
    """What turns a search answer into a ``Read``."""

    def __call__(self, answer: Answer) -> Read: ...

    def later(self, answer: Answer) -> Callable[[], Read]:
        """The answer's ``Read``, to be had by calling what this returns: meanwhile a
        worker process may be reading it."""
        ...

    def expect(self, issues: int) -> None:
        """Told how many issues the listing has still to read, once it knows."""


class RawReader:
    """Answers read as they are: the raw issues (the keys-only listings use this)."""

    def __init__(self, rest: JiraRest) -> None:
        self._rest = rest

    def __call__(self, answer: Answer) -> Read:
        return split_answer(self._rest.decode(answer), lambda raw: raw)

    def later(self, answer: Answer) -> Callable[[], Read]:
        read = self(answer)
        return lambda: read

    def expect(self, issues: int) -> None:
        """Told how many issues the listing has still to read; nothing to prepare."""


def split_answer(answer: object, make: Any) -> Read:
    """A decoded search answer as a ``Read``, each issue passed through ``make``."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("issues"), list):
        raise JiraApiError("Jira's search answer has no issues list: check [jira] url")
    found = {name: value for name, value in answer.items() if name != "issues"}
    ids: list[str] = []
    issues: list[Any] = []
    for raw in answer["issues"]:
        if isinstance(raw, Mapping):
            ids.append(id_of(raw))
            issues.append(make(raw))
    return Read(found, ids, issues)


def id_of(raw: Mapping[str, Any]) -> str:
    """An issue's id, as text (Jira writes it as a string); empty when it has none."""
    issue_id = raw.get("id")
    if isinstance(issue_id, int | str) and not isinstance(issue_id, bool):
        return str(issue_id)
    return ""


class ItemReader:
    """Answers read into items (None for an issue skipped, its reason in ``warnings``),
    in a worker process once the listing is known to be big (see the module)."""

    def __init__(
        self,
        rest: JiraRest,
        fields: JiraFields,
        base: str,
        warnings: list[str],
        *,
        worker_from: int | None = None,
        cores: int | None = None,
    ) -> None:
        self._rest = rest
        self._fields = fields
        self._base = base
        self.warnings = warnings
        self._worker_from = WORKER_FROM if worker_from is None else worker_from
        self._cores = cores
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[bool] | None = None
        self._spool: str | None = None  # the directory of the pages handed over
        self._handed_pages = 0
        self.pages_in_worker = 0  # pages the worker read, for the tests and the bench

    def expect(self, issues: int) -> None:
        """The listing has ``issues`` still to read: enough of them starts the worker,
        on a machine with a second core to run it."""
        if self._pool is not None or issues < self._worker_from:
            return
        if (self._cores if self._cores is not None else cores()) < 2:
            return
        import multiprocessing

        # spawn, not fork: the threads reading ahead hold locks a fork would copy held.
        context = multiprocessing.get_context("spawn")
        try:
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=_start, initargs=(self._fields, self._base)
            )
            self._ready = self._pool.submit(_ready)
        except (OSError, RuntimeError):
            self._pool = None  # no process to be had: the pages are read here
            return
        # A page's megabytes reach the worker through a file in memory (tmpfs) where
        # there is one: through the pipe, they cost both processes a third more time.
        with contextlib.suppress(OSError):
            self._spool = tempfile.mkdtemp(prefix="tieback-pages-", dir=_in_memory())

    def __call__(self, answer: Answer) -> Read:
        # Read here: a caller that waits for the page gains nothing from the worker.
        return self.here(answer)

    def later(self, answer: Answer) -> Callable[[], Read]:
        pool, ready = self._pool, self._ready
        if pool is not None and ready is not None and ready.done() and answer.content:
            try:
                return _Later(self, answer, pool.submit(_read, self._handed(answer.content)))
            except (BrokenProcessPool, RuntimeError):
                self.close()  # the worker died (killed, out of memory): the rest is read here
        read = self.here(answer)
        return lambda: read

    def _handed(self, content: bytes) -> bytes | str:
        """``content`` as the worker is to have it: the path of a file in the spool
        holding it (the worker deletes it), or the bytes themselves."""
        if self._spool is None:
            return content
        self._handed_pages += 1
        path = os.path.join(self._spool, str(self._handed_pages))
        try:
            with open(path, "wb") as file:
                file.write(content)
        except OSError:  # full: through the pipe, then
            with contextlib.suppress(OSError):
                os.unlink(path)
            return content
        return path

    def here(self, answer: Answer) -> Read:
        """The answer read in this process."""
        return split_answer(self._rest.decode(answer), self._item)

    def _item(self, raw: Mapping[str, Any]) -> Item | None:
        try:
            return item_from_issue(raw, self._fields, self._base)
        except SourceError as exc:
            self.warnings.append(f"jira: skipped an issue: {exc}")
            return None

    def close(self) -> None:
        """Let the worker go, if one was started; it ends once it has read its pages."""
        pool, self._pool, self._ready = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        spool, self._spool = self._spool, None
        if spool is not None:
            # Pages the worker has not read, if the listing stopped early, go with it.
            shutil.rmtree(spool, ignore_errors=True)


class _Later:
    """A page the worker is reading: its ``Read`` once called, then the same again."""

    def __init__(self, reader: ItemReader, answer: Answer, future: Future[Any]) -> None:
        self._reader = reader
        self._answer: Answer | None = answer
        self._future = future
        self._read: Read | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Read:
        with self._lock:
            if self._read is None:
                self._read = self._settle()
            return self._read

    def _settle(self) -> Read:
        reader, answer = self._reader, self._answer
        assert answer is not None
        self._answer = None  # the page's bytes are not kept once it is read
        try:
            read, warnings = self._future.result()
        except BrokenProcessPool:
            reader.close()  # the worker died (killed, out of memory): the rest is read here
        except Exception:  # what the worker could not read is read here, to say why
            pass
        else:
            reader.warnings.extend(warnings)
            reader.pages_in_worker += 1
            return cast(Read, read)
        return reader.here(answer)


def _in_memory() -> str | None:
    """Where a file is kept in memory (Linux's /dev/shm), if anywhere; else None, the
    temporary directory."""
    shm = "/dev/shm"  # a private directory is made in it
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# The worker's side. It reads pages with the fields and site it was started with.
_worker: dict[str, Any] = {}


def _start(fields: JiraFields, base: str) -> None:
    # Ctrl-C is the parent's to handle: it stops the sync and lets the worker go. What
    # goes wrong in a page comes back to the parent with the page, which reads it
    # again itself; nothing of the worker's own is for the user's terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # As in the command's own process (``tieback.commands``): a page's thousands of
    # objects would set off collections that find nothing to free (a page's JSON holds
    # no cycles), and would double the time a page takes.
    gc.disable()
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the worker's whole life
    _worker.update(fields=fields, base=base)


def _ready() -> bool:
    return True


def _read(content: bytes | str) -> tuple[Read, list[str]]:
    """A page's bytes, or the path of a file holding them (deleted once read), read."""
    from tieback.jsonio import loads

    if isinstance(content, str):
        path = content
        try:
            with open(path, "rb") as file:
                content = file.read()
        finally:
            os.unlink(path)

    fields: JiraFields = _worker["fields"]
    base: str = _worker["base"]
    warnings: list[str] = []

    def make(raw: Mapping[str, Any]) -> Item | None:
        try:
            return item_from_issue(raw, fields, base)
        except SourceError as exc:
            warnings.append(f"jira: skipped an issue: {exc}")
            return None

    return split_answer(loads(content), make), warnings
