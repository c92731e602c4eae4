"""The live Jira source: the configured JQL read page by page into the store.

The issue objects it reads become items in ``connectors.jira.payload``, which the
export readers share without importing any HTTP client.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tieback.connectors.jira.client import KEYS_PAGE_SIZE, JiraApiError, JiraClient
from tieback.connectors.jira.payload import JiraFields
from tieback.connectors.jira.reader import ItemReader
from tieback.connectors.jira.settings import Jira
from tieback.connectors.source import Page, TrackerSource
from tieback.errors import SourceError
from tieback.http import in_background, read_ahead, side_by_side
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

if TYPE_CHECKING:
    from tieback.connectors.interface import Context

# Every issue field the items are built from; custom fields are added once resolved.
# Not ``project``: its key is the issue key's prefix, and its object (with avatar URLs)
# is a tenth of an issue's JSON, read and decoded for nothing.
BASE_FIELDS = (
    "summary",
    "status",
    "issuetype",
    "labels",
    "description",
    "parent",
    "updated",
    "creator",
    "reporter",
    # When an item was done: its resolution date, else when its status category changed.
    "resolutiondate",
    "statuscategorychangedate",
)
# Issues asked for a page of a full listing. Cloud's search/jql grants at most 100 when
# fields are asked for; Data Center grants up to its ceiling (1000 by default), fewer
# when an administrator lowered it: paging follows what came back, never the request.
PAGE_SIZE = {"cloud": 100, "server": 1000}
# A Cloud listing still going after this many pages (1,000 issues) changes course: the
# rest of the query's ids are listed 5,000 a request, and their issues fetched through
# ``issue/bulkfetch``, which grants 1,000 a request where search/jql grants 100. At
# 100,000 issues that is 130 requests instead of 1,000.
BULK_AFTER = 10
JQL_ORDER = "ORDER BY key ASC"
# When the user's time zone is unknown, a cursor read as UTC-12 covers every zone.
_WIDEST_OFFSET = timedelta(hours=12)
_ORDER_BY = re.compile(r"order\s+by\b", re.IGNORECASE)


def strip_order_by(jql: str) -> str:
    """The JQL without its ``ORDER BY`` clause; quoted text is left alone."""
    quote = ""
    escaped = False
    for index, char in enumerate(jql):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif (index == 0 or not (jql[index - 1].isalnum() or jql[index - 1] == "_")) and (
            _ORDER_BY.match(jql, index)
        ):
            return jql[:index].strip()
    return jql.strip()


def search_jql(jql: str, updated_since: str | None = None) -> str:
    """The search's JQL: the configured query, maybe narrowed to recent updates, in
    key order (stable while issues change, so paging neither skips nor repeats)."""
    clauses = []
    if base := strip_order_by(jql):
        clauses.append(f"({base})")
    if updated_since:
        clauses.append(f'updated >= "{updated_since}"')
    return " ".join([" AND ".join(clauses), JQL_ORDER]).strip()


def jql_time(since: str, zone_name: str) -> tuple[str, bool]:
    """An ISO 8601 moment as JQL's ``yyyy/MM/dd HH:mm`` in the user's time zone.

    JQL reads dates in the zone of the account that searches. Returns the text and
    whether the zone was known; when it is not, the moment is moved 12 hours earlier
    so that it is not late in any zone (a few more items re-read, none missed).
    """
    moment = datetime.fromisoformat(since)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        zone: tzinfo = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        shifted = moment.astimezone(UTC) - _WIDEST_OFFSET
        return shifted.strftime("%Y/%m/%d %H:%M"), False
    # Minutes only, rounded down: an earlier bound re-reads, a later one would miss.
    return moment.astimezone(zone).strftime("%Y/%m/%d %H:%M"), True


def field_catalog(
    fields: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, str], dict[str, Mapping[str, Any]]]:
    """``/rest/api/2/field`` as ``{id: name}`` and ``{id: schema}``."""
    names: dict[str, str] = {}
    schemas: dict[str, Mapping[str, Any]] = {}
    for field in fields:
        field_id, name = field.get("id"), field.get("name")
        if isinstance(field_id, str) and isinstance(name, str):
            names[field_id] = name
            schemas[field_id] = _mapping(field.get("schema"))
    return names, schemas


class JiraSource(TrackerSource):
    """The issues the configured JQL matches, read page by page into the store.

    Each sync asks ``/myself`` (the cheapest check of the credentials, and the time
    zone JQL dates are read in), resolves the configured fields by name through
    ``/rest/api/2/field``, then searches with an explicit ``fields`` list in key order.
    ``counts()`` asks how many issues the query matches; ``keys()`` runs the same query
    for keys alone.
    """

    name = "jira"

    def __init__(
        self,
        context: Context[Jira],
        client: JiraClient | None = None,
    ) -> None:
        super().__init__(context)
        self._settings: Jira = self.context.settings
        self._client = client
        self._fields: JiraFields | None = None
        self._zone: str | None = None
        self._counting: Callable[[], int | None] | None = None

    @property
    def client(self) -> JiraClient:
        if self._client is None:
            self._client = JiraClient(
                self._settings.url,
                self._settings.email,
                self.context.token,
                self.context.policy,
                self._settings.timeout,
                self._settings.max_wait,
            )
        return self._client

    @property
    def deployment(self) -> str:
        return self.client.deployment(self._settings.deployment)

    @property
    def query(self) -> str:
        from tieback.connectors.jira.settings import query_of

        return query_of(self._settings, self.context.tagging.jira_field)

    def pages(self, since: str | None) -> Iterator[Page]:
        if not self._settings.jql.strip():
            raise SourceError(
                f"{self.context.label}: [jira] jql is empty: say which issues to read, "
                'e.g. jql = "project = EDU"'
            )
        client = self.client  # made here, before the threads below share it
        # Three questions that depend on nothing but the configuration, asked at once.
        deployment, zone, fields = side_by_side(
            lambda: self.deployment, self.time_zone, self.fields
        )
        updated = None
        if since:
            updated, known = jql_time(since, zone)
            if not known:
                self.warnings.append(
                    f"jira: the account's time zone {zone or '(none)'!r} is unknown here; "
                    "updates are read from 12 hours earlier to be safe"
                )
            # The sync asks next how many issues match: asked now, the count's request
            # waits on the network beside the search's instead of after it.
            self._counting = in_background(self._count, "tieback-jira-count")
        jql = search_jql(self._settings.jql, updated)
        wanted = [*BASE_FIELDS, *(f for f in fields.ids if f not in BASE_FIELDS)]
        size = PAGE_SIZE[deployment]
        # Each answer is turned into items as it is read: in a second process once the
        # listing is known to be big (``reader``). The next page is fetched meanwhile,
        # and the last one stored.
        reader = ItemReader(client, fields, self._settings.url, self.warnings)
        try:
            listing = client.listing(
                deployment, jql, wanted, size, bulk_after=BULK_AFTER, read=reader
            )
            for page, position, total in read_ahead(listing):
                kept = [item for item in page().issues if item is not None]
                yield Page(kept, position=position, total=total)
        finally:
            reader.close()

    def counts(self) -> dict[str, int | None]:
        """How many issues the query matches now, in one request that reads none.

        Data Center's search answers ``maxResults: 0`` with the exact ``total``. Cloud's
        search/jql gives no total; its ``search/approximate-count`` may lag a change by
        moments, which is safe here: a count that matches the store while an issue has
        just left only defers the removal to the next sync, whose count is then short.
        A count Jira refuses (Cloud wants a bounded query; a site without the endpoint
        answers 404) is None: the keys are then listed. An incremental listing has asked
        already, beside its search; that answer is used.
        """
        pending, self._counting = self._counting, None
        try:
            return {"": pending() if pending is not None else self._count()}
        except JiraApiError as exc:
            if exc.status not in (400, 404):
                raise
            return {"": None}

    def _count(self) -> int | None:
        jql = strip_order_by(search_jql(self._settings.jql))  # a count needs no order
        return self.client.count(self.deployment, jql)

    def keys(self, groups: Collection[str] | None = None) -> set[str]:
        """Every key the query matches now, in pages of keys alone (Cloud grants 5000
        a request when only keys are asked for, Data Center its usual ceiling)."""
        deployment = self.deployment
        jql = search_jql(self._settings.jql)
        size = KEYS_PAGE_SIZE[deployment]
        found: set[str] = set()
        for issues, _, _ in self.client.search(deployment, jql, ["key"], size):
            found.update(k for raw in issues if isinstance(k := raw.get("key"), str) and k)
        return found

    def time_zone(self) -> str:
        """The account's time zone (``/myself``), asked once; empty when Jira names none."""
        if self._zone is None:
            self._zone = _text(self.client.myself().get("timeZone")) or ""
        return self._zone

    def fields(self) -> JiraFields:
        """The configured fields resolved against the site's, asked once."""
        if self._fields is None:
            names, schemas = field_catalog(self.client.fields())
            context = self.context
            jira, tagging = context.settings, context.tagging
            fields = JiraFields.from_settings(jira, tagging, names, schemas)
            # A field the user named must exist: a typo would silently count every item
            # as untagged or teamless. Points matter only when coverage weighs them (the
            # default name is absent on sites that only have "Story point estimate").
            asked = [
                ("[jira] team_field", jira.team_field, fields.team),
                ("[tagging] jira_field", tagging.jira_field, fields.outcome),
            ]
            if context.weight == "points":
                asked.append(("[jira] points_field", jira.points_field, fields.points))
            for where, wanted, found in asked:
                if wanted.strip() and found is None:
                    raise SourceError(
                        f"Jira has no field named {wanted!r} ({where}){_similar(wanted, names)}"
                    )
            self._fields = fields
        return self._fields


def _similar(wanted: str, names: Mapping[str, str]) -> str:
    """Close field names, to suggest ("Story point estimate" beside "Story Points")."""
    by_lower = {name.lower(): name for name in names.values()}
    close = difflib.get_close_matches(wanted.lower(), list(by_lower), n=3, cutoff=0.6)
    if not close:
        return ""
    shown = ", ".join(
        f"{by_lower[c]!r} ({', '.join(sorted(i for i, n in names.items() if n.lower() == c))})"
        for c in close
    )
    return f"; similar: {shown}"
