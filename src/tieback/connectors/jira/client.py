"""The Jira client: the REST core (``rest``) and the searches a sync pages through."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

from tieback.connectors.jira.reader import RawReader, Read, Reader, id_of, split_answer
from tieback.connectors.jira.rest import Answer, JiraApiError, JiraRest
from tieback.http import in_background
from tieback.payload import text_of as _text

__all__ = [
    "BULK_REFUSALS",
    "BULK_SIZE",
    "BULK_SIZE_REFUSED",
    "BULK_TRIES",
    "KEYS_PAGE_SIZE",
    "BulkRefused",
    "JiraApiError",
    "JiraClient",
]

# The keys-only pass asks for more a page: Cloud grants up to 5000 when only keys are
# wanted, Data Center's default ceiling (jira.search.views.default.max) is 1000.
KEYS_PAGE_SIZE = {"cloud": 5000, "server": 1000}
# Issues a bulkfetch asks for: 1,000 when the fields are named (none of them paged,
# as comments are), else 100; a site that refuses 1,000 (HTTP 400) is asked for 100.
BULK_SIZE = 1000
BULK_SIZE_REFUSED = 100
# Times an issue bulkfetch could not return (its ``issueErrors``) is asked for again.
BULK_TRIES = 3
# How a site without bulkfetch answers it (no such resource, not that method, not built;
# or a proxy in front of it that blocks the path): the listing goes on by search pages.
BULK_REFUSALS = frozenset({404, 405, 501})


class BulkRefused(JiraApiError):
    """The site does not serve ``issue/bulkfetch`` (see ``BULK_REFUSALS``)."""


class JiraClient(JiraRest):
    """The Jira REST API (``JiraRest``) and the searches a sync reads: a query's issues
    page by page (Cloud's search and bulkfetch, Data Center's search), and its count."""

    # Set once the site refused issue/bulkfetch: its listings stay searches for the rest
    # of the run, without the listing of ids that only a bulkfetch needs.
    bulk_refused = False

    def search(
        self,
        deployment: str,
        jql: str,
        fields: Sequence[str],
        page_size: int,
        bulk_after: int | None = None,
    ) -> Iterator[tuple[list[Mapping[str, Any]], str, int | None]]:
        """Pages of a search as (issues, position, total); ``total`` is None on Cloud
        until the listing changes course (see ``listing``)."""
        listing = self.listing(deployment, jql, fields, page_size, bulk_after)
        for page, position, total in listing:
            yield page().issues, position, total

    def listing(
        self,
        deployment: str,
        jql: str,
        fields: Sequence[str],
        page_size: int,
        bulk_after: int | None = None,
        read: Reader | None = None,
    ) -> Iterator[tuple[Callable[[], Read], str, int | None]]:
        """Pages of a search as (page, position, total), where ``page()`` gives the
        answer as ``read`` read it (``tieback.connectors.jira.reader``; the raw issues by
        default), maybe once a worker process has read it; ``total`` is None on Cloud
        until the listing changes course (below).

        Cloud: ``POST /rest/api/3/search/jql``, following ``nextPageToken`` (the server
        may grant fewer issues than asked); after ``bulk_after`` pages, the rest through
        ``bulk_fetch``, unless the site refuses it: then on through search pages. Data
        Center: ``POST /rest/api/2/search``, advancing ``startAt`` by the issues actually
        returned.
        """
        read = read if read is not None else RawReader(self)
        if deployment == "cloud":
            yield from self._search_cloud(jql, fields, page_size, read, bulk_after)
        else:
            yield from self._search_server(jql, fields, page_size, read)

    def count(self, deployment: str, jql: str) -> int | None:
        """How many issues match, in one request that reads none; None when the answer
        holds no count. Data Center: the search's exact ``total`` (``maxResults: 0``).
        Cloud: ``POST /rest/api/3/search/approximate-count``, which wants a bounded
        query (HTTP 400 otherwise) and may lag the latest changes by moments.
        """
        if deployment == "cloud":
            answer = self.request("POST", "/rest/api/3/search/approximate-count", body={"jql": jql})
            counted = answer.get("count") if isinstance(answer, Mapping) else None
        else:
            body = {"jql": jql, "fields": ["key"], "startAt": 0, "maxResults": 0}
            searched = self.request("POST", "/rest/api/2/search", body=body)
            counted = split_answer(searched, lambda raw: raw).found.get("total")
        return counted if isinstance(counted, int) and not isinstance(counted, bool) else None

    def _search_cloud(
        self,
        jql: str,
        fields: Sequence[str],
        page_size: int,
        read: Reader,
        bulk_after: int | None = None,
    ) -> Iterator[tuple[Callable[[], Read], str, int | None]]:
        def ask(token: str | None) -> Answer:
            body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
            if token:
                body["nextPageToken"] = token
            return self._answer("POST", "/rest/api/3/search/jql", body=body)

        # The next page needs this page's nextPageToken. It is read from the answer's
        # bytes before they are decoded, and the next page is asked for while they are:
        # still one request at a time, with the decoding off the chain of requests. The
        # decoded answer has the last word: a token read wrong has its answer waited for
        # and dropped, and the next page asked for again with the right one.
        seen: set[str] = set()
        listed: set[str] = set()  # the ids of the issues given so far, for bulk_fetch
        fetched: set[str] = set()  # ids bulk_fetch gave before the site refused it
        number = 0
        answer = ask(None)
        while True:
            bulk = bulk_after is not None and not self.bulk_refused
            ahead: tuple[str, Callable[[], Answer]] | None = None
            guess = _next_page_token(answer.content)
            # Not past the page after which the listing may change course (see search).
            switching = bulk and bulk_after is not None and number + 1 >= bulk_after
            if guess is not None and guess not in seen and not switching:
                ahead = (guess, _ahead(functools.partial(ask, guess)))
            page = read(answer)
            found = page.found
            number += 1
            if fetched:
                kept = [i for i, issue_id in enumerate(page.ids) if issue_id not in fetched]
                page = page._replace(
                    ids=[page.ids[i] for i in kept], issues=[page.issues[i] for i in kept]
                )
            token = _text(found.get("nextPageToken")) or None
            if found.get("isLast") is True:
                token = None  # the last page, whatever else it says
            repeated = token is not None and token in seen
            if bulk and bulk_after is not None and token is not None and not repeated:
                listed.update(i for i in page.ids if i)
                if number >= bulk_after:
                    if ahead is not None:
                        _drop(ahead[1])
                    yield _given(page), f"page {number}", None
                    try:
                        for bulk_page in self.bulk_fetch(
                            jql, fields, listed, number, read, fetched
                        ):
                            number += 1
                            yield bulk_page
                        return
                    except BulkRefused:
                        # The rest by search pages, from this page's token; what bulkfetch
                        # gave already is left out of them.
                        self.bulk_refused = True
                    seen.add(token)
                    answer = ask(token)
                    continue
            yield _given(page), f"page {number}", None
            if ahead is not None and token is not None and not repeated and ahead[0] == token:
                seen.add(token)
                answer = ahead[1]()
                continue
            if ahead is not None:
                _drop(ahead[1])
            if token is None:
                return
            if repeated:
                raise JiraApiError(
                    "Jira returned the same nextPageToken twice; stopping rather than looping"
                )
            seen.add(token)
            answer = ask(token)

    def bulk_fetch(
        self,
        jql: str,
        fields: Sequence[str],
        given: Collection[str],
        pages: int,
        read: Reader | None = None,
        fetched: set[str] | None = None,
    ) -> Iterator[tuple[Callable[[], Read], str, int | None]]:
        """The rest of a Cloud search after ``pages`` pages gave the issues ``given``:
        the query's other ids, listed 5,000 a request, then their issues through
        ``POST /rest/api/3/issue/bulkfetch``, 1,000 a request (100 if the site refuses
        more), the next asked for while this one is decoded: one request at a time.

        An issue deleted (or hidden from the account) since the listing is simply not
        returned, as a search would not have listed it. An issue Jira could not return
        for the moment (``issueErrors``) is asked for again, up to ``BULK_TRIES`` times in
        all; if it still cannot be had, the sync stops with an error before anything is
        removed from the store, and the next sync reads it again. A site that does not
        serve bulkfetch raises ``BulkRefused``, and its caller reads the rest another way;
        ``fetched`` then holds the ids already given, so that it leaves them out.

        Each answer is handed to ``read.later`` and its page given at once: a worker
        process may read it while the next is asked for. Its ``issueErrors`` are looked
        at once the round of requests is over.
        """
        read = read if read is not None else RawReader(self)
        wanted: dict[str, None] = {}
        ids = self._search_cloud(jql, ["key"], KEYS_PAGE_SIZE["cloud"], RawReader(self))
        for listed, _, _ in ids:
            wanted.update((i, None) for i in listed().ids if i and i not in given)
        total = len(given) + len(wanted)
        read.expect(len(wanted))
        size = BULK_SIZE

        def ask(ids: list[str]) -> Answer:
            body = {"issueIdsOrKeys": ids, "fields": list(fields)}
            try:
                return self._answer("POST", "/rest/api/3/issue/bulkfetch", body=body)
            except JiraApiError as exc:
                if exc.status in BULK_REFUSALS:
                    raise BulkRefused(str(exc), exc.status) from None
                raise

        fetched = fetched if fetched is not None else set()
        left = list(wanted)
        failed: dict[str, str] = {}  # id: Jira's reason, from the last try
        for _ in range(BULK_TRIES):
            if not left:
                return
            given_here: list[tuple[list[str], Callable[[], Read]]] = []
            try:
                chunk = left[:size]
                try:
                    answer = ask(chunk)
                except JiraApiError as exc:
                    if exc.status != 400 or size == BULK_SIZE_REFUSED:
                        raise
                    size = BULK_SIZE_REFUSED  # this site grants fewer a request
                    chunk = left[:size]
                    answer = ask(chunk)
                chunks = [left[start : start + size] for start in range(size, len(left), size)]
                while True:
                    ahead = None
                    if chunks:
                        asking = chunks.pop(0)
                        ahead = (asking, _ahead(functools.partial(ask, asking)))
                    page = read.later(answer)
                    given_here.append((chunk, page))
                    pages += 1
                    yield page, f"page {pages}", total
                    if ahead is None:
                        break
                    chunk, answer = ahead[0], ahead[1]()
            finally:
                # What each answer could not return, once it is read: asked again in
                # the next round, and not among the ids given.
                failed = {}
                for chunk, page in given_here:
                    with contextlib.suppress(JiraApiError):
                        failed.update(_issue_errors(page().found))
                    fetched.update(chunk)
                fetched.difference_update(failed)
            left = list(failed)
        if failed:
            issue_id, reason = next(iter(failed.items()))
            raise JiraApiError(
                f"Jira could not return {len(failed)} of the query's issues (id {issue_id}: "
                f"{reason or 'no reason given'}); nothing was removed from the store: "
                "run the sync again"
            )

    def _search_server(
        self, jql: str, fields: Sequence[str], page_size: int, read: Reader
    ) -> Iterator[tuple[Callable[[], Read], str, int | None]]:
        def ask(start: int) -> Answer:
            body = {"jql": jql, "fields": list(fields), "startAt": start, "maxResults": page_size}
            return self._answer("POST", "/rest/api/2/search", body=body)

        # Every page but the last is as long as the first (the size the site grants).
        # So while a page is decoded the next is already asked for, where it starts if
        # this page is as long: still one request at a time, and its wait overlaps the
        # decoding. A page that comes back shorter (issues left the query meanwhile)
        # sends the next request again from where it really starts.
        start, size, total = 0, 0, None
        answer = ask(start)
        while True:
            ahead: tuple[int, Callable[[], Answer]] | None = None
            if size and total is not None and start + size < total:
                guess = start + size
                ahead = (guess, _ahead(functools.partial(ask, guess)))
            page = read(answer)
            issues = page.issues
            total = page.found.get("total")
            total = total if isinstance(total, int) and not isinstance(total, bool) else None
            yield _given(page), f"startAt {start}", total
            start += len(issues)
            size = size or len(issues)
            last = not issues or (total is not None and start >= total)
            if ahead is not None and ahead[0] == start and not last:
                answer = ahead[1]()
                continue
            if ahead is not None:
                _drop(ahead[1])
            if last:
                return
            answer = ask(start)


def _given(page: Read) -> Callable[[], Read]:
    """A page read already, as ``listing`` gives it."""
    return lambda: page


def _ahead(ask: Callable[[], Answer]) -> Callable[[], Answer]:
    """A page asked for from a thread of its own, once the request is on its way: the
    caller decodes the last page while this one waits on the network."""
    return in_background(ask, "tieback-jira-ahead", sent=True)


def _drop(asked: Callable[[], Answer]) -> None:
    """Wait for an answer asked for ahead that turned out not to be wanted, so that
    requests still go one at a time; what it failed with does not matter."""
    with contextlib.suppress(JiraApiError):
        asked()


_TOKEN_KEY = b'"nextPageToken"'
_TOKEN_VALUE = re.compile(rb'\s*:\s*("(?:[^"\\]|\\.)*")')


def _next_page_token(content: bytes) -> str | None:
    """The ``nextPageToken`` of a search answer, read from its bytes without decoding
    them; None if none is found. A guess: the decoded answer says what it really is."""
    at = content.rfind(_TOKEN_KEY)
    if at < 0 or content[:at].rstrip()[-1:] not in (b"{", b","):
        return None  # absent, or not a key of an object
    value = _TOKEN_VALUE.match(content, at + len(_TOKEN_KEY))
    if value is None:
        return None
    try:
        token = json.loads(value.group(1))
    except ValueError:
        return None
    return token if isinstance(token, str) and token else None


def _issue_errors(answer: Mapping[str, Any]) -> dict[str, str]:
    """The ids bulkfetch could not return this time, with Jira's reason for each."""
    errors = answer.get("issueErrors")
    found: dict[str, str] = {}
    for error in errors if isinstance(errors, list) else ():
        if isinstance(error, Mapping) and (issue_id := id_of(error)):
            found[issue_id] = " ".join(_text(error.get("errorMessage")).split())
    return found
