"""A small fake Jira (Cloud or Data Center) on 127.0.0.1, speaking the REST shapes tieback uses.

It serves from memory what the connector asks for: ``serverInfo``, ``myself``, the
field list (with the duplicate names real sites have), both searches (Cloud's
``search/jql`` with ``nextPageToken``, Data Center's ``search`` with ``startAt``, each
granting at most ``page_cap`` issues a page whatever ``maxResults`` asks), Cloud's
``issue/bulkfetch`` (1,000 issues a request with named fields, else 100), issue label
edits through ``update`` operations, and comments with properties, each by its author
(what the token posts is by the token's account, ``account``). It checks the
credentials the way each deployment does, answers errors in Jira's own shapes, lets a
test queue canned responses (429, 503 ...), cut a sync off after some pages or refuse
bulkfetch for good, and logs every request so tests can assert on what was sent. Its
``concurrency`` counts the requests in flight; with a ``limit`` it answers 429 with
``Retry-After`` past it, as Jira Cloud limits the requests of one user in flight.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from e2e.serving import Concurrency, FakeHandler, serving

EMAIL = "pm@acme.example"
CLOUD_TOKEN = "ATATT3xFfGF0fakeCloudApiToken0123456789"
DC_TOKEN = "NjM2ODc2fakeDataCenterPat0123456789"

# Custom field ids, as a site would number them.
STORY_POINTS = "customfield_10026"  # "Story Points", a number: the one to use
STORY_POINTS_TEXT = "customfield_10035"  # "Story Points", a text field someone added
STORY_POINTS_SELECT = "customfield_10041"  # "Story Points", a select list
ESTIMATE = "customfield_10016"  # "Story point estimate" (Cloud, team-managed projects)
TEAM = "customfield_10001"  # "Team"
OUTCOME = "customfield_10050"  # "Outcome", a multi-select
EPIC_LINK = "customfield_10101"  # "Epic Link" (Data Center)
SPRINT = "customfield_10020"

# Matches every search endpoint, whatever the version: for ``inject`` and ``searches``.
SEARCH = "<search>"

# Jira Cloud's answer to the old search since CHANGE-2046, and to unknown body keys.
GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNRECOGNIZED = (
    'Unrecognized field "{name}" (Class com.atlassian.jira.rest.v2.search.SearchRequestBean), '
    "not marked as ignorable"
)

Mode = Literal["cloud", "server"]
Json = Any

_SEARCH_PATH = re.compile(r"/rest/api/(?:2|3|latest)/search(?:/jql)?")
_SEARCH_TAIL = re.compile(_SEARCH_PATH.pattern + "$")  # after any context path
_BULK_BODY_KEYS = {"issueIdsOrKeys", "fields", "expand", "properties", "fieldsByKeys"}
_CATEGORIES = {
    "To Do": (2, "new", "blue-gray", "To Do"),
    "In Progress": (4, "indeterminate", "yellow", "In Progress"),
    "In Review": (4, "indeterminate", "yellow", "In Progress"),
    "Done": (3, "done", "green", "Done"),
}
_JQL_DATE = re.compile(r"\bupdated\s*>=\s*([\"'])(?P<when>[^\"']*)\1", re.IGNORECASE)
_ORDER_BY = re.compile(r"\s*\bORDER\s+BY\s+(?P<order>[^()]*)$", re.IGNORECASE)
_SEARCH_BODY_KEYS = {
    "3": {
        "jql",
        "fields",
        "maxResults",
        "nextPageToken",
        "expand",
        "properties",
        "fieldsByKeys",
        "reconcileIssues",
    },
    "2": {"jql", "fields", "startAt", "maxResults", "expand", "properties", "validateQuery"},
}


def error(*messages: str, **errors: str) -> dict[str, Any]:
    """Jira's error body: ``{"errorMessages": [...], "errors": {...}}``."""
    return {"errorMessages": list(messages), "errors": dict(errors)}


def jira_time(moment: datetime, zone: ZoneInfo) -> str:
    """A timestamp as Jira writes it: ``2026-11-20T10:05:00.000+0100``."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{local:%z}"


def to_adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document: one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.splitlines()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_to_text(node: Json) -> str:
    """An Atlassian Document flattened to text, one line per block (as Jira renders v2)."""
    lines: list[str] = []
    current: list[str] = []

    def walk(part: Json, depth: int) -> None:
        if not isinstance(part, Mapping) or depth > 50:
            return
        if part.get("type") == "text":
            current.append(str(part.get("text", "")))
        elif part.get("type") == "hardBreak":
            lines.append("".join(current))
            current.clear()
        for child in part.get("content") or []:
            walk(child, depth + 1)
        if part.get("type") in {"paragraph", "heading", "codeBlock"}:
            lines.append("".join(current))
            current.clear()

    walk(node, 0)
    if current:
        lines.append("".join(current))
    return "\n".join(lines)


def natural_key(key: str) -> tuple[str, int]:
    """``EDU-2`` sorts before ``EDU-10``, as Jira orders keys."""
    project, _, number = key.rpartition("-")
    return project, int(number) if number.isdigit() else 0


@dataclass
class Canned:
    """A response a test queued: served once, before the normal handling."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Json = None
    method: str = "*"
    path: str = SEARCH  # a path prefix (after the context path), or SEARCH
    after: int = 0  # matching requests to let through (whatever answers them) first

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        if self.path == SEARCH:
            return bool(_SEARCH_PATH.fullmatch(path))
        return path.startswith(self.path)


@dataclass
class Logged:
    """One request as the fake saw it, with what it answered."""

    method: str
    path: str  # without the context path
    query: dict[str, list[str]]
    body: Json  # parsed JSON, else text, else None
    status: int = 0
    returned: list[str] = field(default_factory=list)  # issue keys a search answered
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def is_search(self) -> bool:
        return bool(_SEARCH_PATH.fullmatch(self.path))

    @property
    def jql(self) -> str:
        """The JQL of a search, from the body (POST) or the query string (GET)."""
        if isinstance(self.body, Mapping):
            return str(self.body.get("jql", ""))
        return self.query.get("jql", [""])[0]

    @property
    def fields(self) -> list[str]:
        """The ``fields`` a search asked for, as a list."""
        if isinstance(self.body, Mapping):
            value = self.body.get("fields")
            raw = value if isinstance(value, list) else [str(value or "")]
        else:
            raw = self.query.get("fields", [])
        return [name.strip() for part in raw for name in str(part).split(",") if name.strip()]

    def number(self, name: str) -> int | None:
        """A numeric parameter (``startAt``, ``maxResults``) from the body or query."""
        value = self.body.get(name) if isinstance(self.body, Mapping) else None
        if value is None:
            value = (self.query.get(name) or [None])[0]
        return None if value is None else int(value)


@dataclass
class FakeIssue:
    """An issue as the fake keeps it; rendered per deployment and API version on read."""

    id: int
    key: str
    summary: str
    type: str = "Story"
    status: str = "To Do"
    labels: list[str] = field(default_factory=list)
    description: str = ""
    parent: str | None = None  # sub-task → story, story → epic
    points: float | None = None
    team: str | None = None
    outcomes: list[str] = field(default_factory=list)  # the "Outcome" select's values
    custom: dict[str, Json] = field(default_factory=dict)  # any other field id → raw value
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    reporter: str = "Ann Smith"

    @property
    def project(self) -> str:
        return self.key.rpartition("-")[0]


@dataclass
class FakeComment:
    id: int
    key: str
    body: Json  # as posted: text (v2) or an ADF document (v3)
    properties: list[dict[str, Json]]
    author: str
    created: datetime
    updated: datetime


class FakeJira:
    """The state behind the server; mutate it between runs.

    ``mode`` is ``"cloud"`` (Basic email:API token, ``search/jql``, old search 410) or
    ``"server"`` (Data Center 9: Bearer PAT, ``/rest/api/2/search``, no API v3).
    ``context`` serves everything under a path, as ``https://jira.acme.example/jira``.
    """

    def __init__(
        self,
        mode: Mode = "cloud",
        *,
        email: str = EMAIL,
        token: str | None = None,
        time_zone: str = "Europe/Berlin",
        context: str = "",
        page_cap: int = 50,
        keys_page_cap: int | None = None,
        comment_page_cap: int = 100,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.mode: Mode = mode
        self.email = email
        self.token = token or (CLOUD_TOKEN if mode == "cloud" else DC_TOKEN)
        self.time_zone = time_zone
        self.context = context.rstrip("/")
        self.page_cap = page_cap
        # Cloud grants up to 5000 a page when only keys (or ids) are asked for.
        self.keys_page_cap = keys_page_cap or (5000 if mode == "cloud" else page_cap)
        self.comment_page_cap = comment_page_cap
        self.clock = clock
        self.root = ""  # http://127.0.0.1:PORT, set once serving
        self.issues: dict[str, FakeIssue] = {}
        self.comments: dict[str, list[FakeComment]] = {}
        self.projects: set[str] = set()
        self.requests: list[Logged] = []
        self.faults: list[Canned] = []
        self.rejected: list[str] = []  # writes refused because tieback must never send them
        self.pages_left: int | None = None  # search pages served before searches fail
        self.reads_projects = False  # whether ``project = X`` / ``project in (...)`` filters
        # Seconds each request waits before its answer, as a network round trip would;
        # requests on different connections wait side by side, not in turn.
        self.latency = 0.0
        # Cloud's bulkfetch: the most issues a request may name (HTTP 400 beyond), and
        # ids answered in ``issueErrors`` instead of ``issues`` (each once per entry).
        self.bulk_cap: int | None = None  # None: 1,000 with named fields, else 100
        self.bulk_errors: list[str] = []
        # A site without bulkfetch, or a proxy that blocks it: every bulkfetch is answered
        # this status (404, 405, 501), as a path the site does not serve.
        self.bulk_refused: int | None = None
        # The account the token acts as: ``/myself`` names it, and it wrote every comment
        # the API posts; other comments are by whoever ``add_comment`` names.
        self.account = "Pat Manager"
        self._by_id: dict[str, str] = {}
        self._next_id = 10_000
        self._next_comment = 30_000
        self._lock = threading.RLock()
        # Jira Cloud refuses a user's requests past about ten in flight (integrators'
        # observation; Atlassian publishes no figure); no limit unless set.
        self.concurrency = Concurrency(self._too_many, self._is_write)

    @property
    def url(self) -> str:
        """What a user writes as ``[jira] url``: the server plus the context path."""
        return f"{self.root}{self.context}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    # --- building state ------------------------------------------------------------

    def add_issue(self, key: str, summary: str, **values: Any) -> FakeIssue:
        """Add an issue; ``values`` are FakeIssue attributes (``updated`` defaults to now)."""
        with self._lock:
            self._next_id += 1
            now = self.clock()
            values.setdefault("created", now - timedelta(days=60))
            values.setdefault("updated", now)
            issue = FakeIssue(id=self._next_id, key=key, summary=summary, **values)
            if key in self.issues:
                self._by_id.pop(str(self.issues[key].id), None)
            self.issues[key] = issue
            self._by_id[str(issue.id)] = key
            self.projects.add(issue.project)
        return issue

    def touch(self, key: str, **changes: Any) -> FakeIssue:
        """Change an issue as a user would: the attributes given, and ``updated`` to now."""
        with self._lock:
            issue = self.issues[key]
            for name, value in changes.items():
                setattr(issue, name, value)
            issue.updated = self.clock()
        return issue

    def remove(self, key: str) -> None:
        """The issue is deleted (or moved out of every query)."""
        with self._lock:
            self._by_id.pop(str(self.issues.pop(key).id), None)
            self.comments.pop(key, None)

    def add_comment(
        self,
        key: str,
        body: Json,
        properties: Iterable[Mapping[str, Json]] = (),
        author: str = "Priya Patel",
    ) -> FakeComment:
        """A comment already on the issue (text or ADF; properties as Jira stores them)."""
        with self._lock:
            self._next_comment += 1
            now = self.clock()
            comment = FakeComment(
                self._next_comment, key, body, [dict(p) for p in properties], author, now, now
            )
            self.comments.setdefault(key, []).append(comment)
            self.issues[key].updated = now
        return comment

    def inject(
        self,
        method: str,
        path: str,
        status: int,
        body: Json = None,
        headers: Mapping[str, str] | None = None,
        after: int = 0,
    ) -> None:
        """Queue a canned response for the next matching request (``path``: a prefix after
        the context path, or ``SEARCH`` for any search endpoint). Several queued for the
        same requests are served in order, one request each; ``after`` lets that many
        matching requests go by first (whatever answered them)."""
        with self._lock:
            self.faults.append(Canned(status, dict(headers or {}), body, method, path, after))

    def interrupt_after(self, pages: int | None) -> None:
        """Answer 500 to every search once ``pages`` more search pages were served (None:
        never). A 500 is not retried, so a sync dies there, as on a crashed node."""
        with self._lock:
            self.pages_left = pages

    # --- reading the log -----------------------------------------------------------

    def searches(self) -> list[Logged]:
        return [r for r in self.requests if r.is_search]

    def writes(self) -> list[Logged]:
        """Requests that change something: every PUT/DELETE, and POSTs that are not searches."""
        return [
            r
            for r in self.requests
            if r.method in ("PUT", "DELETE") or (r.method == "POST" and not r.is_search)
        ]

    def tieback_comments(self, key: str, kind: str | None = None) -> list[FakeComment]:
        """Comments on ``key`` carrying the ``tieback`` property (of ``kind`` when given)."""
        found = []
        for comment in self.comments.get(key, []):
            for prop in comment.properties:
                value = prop.get("value")
                if prop.get("key") == "tieback" and (
                    kind is None or (isinstance(value, Mapping) and value.get("kind") == kind)
                ):
                    found.append(comment)
                    break
        return found

    def comment_text(self, comment: FakeComment) -> str:
        body = comment.body
        return body if isinstance(body, str) else adf_to_text(body)

    # --- answering -----------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Json]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        body: Json = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        entry = Logged(method, path, query, body)
        with self._lock:
            if self.context:
                if path != self.context and not path.startswith(f"{self.context}/"):
                    entry.status = 404
                    self.requests.append(entry)
                    return 404, {}, self._not_found(path)
                entry.path = path = path[len(self.context) :] or "/"
            self.requests.append(entry)
            status, extra, answer = self._answer(entry, headers, raw)
            entry.status = status
            return status, extra, answer

    @staticmethod
    def _is_write(method: str, target: str) -> bool:
        """PUT and DELETE, and a POST that is not a read (a search, bulkfetch, a count)."""
        if method != "POST":
            return method in ("PUT", "DELETE", "PATCH")
        path = unquote(urlsplit(target).path)
        reads = ("/issue/bulkfetch", "/search/approximate-count")
        return not (_SEARCH_TAIL.search(path) or path.endswith(reads))

    @staticmethod
    def _too_many(retry_after: int) -> tuple[int, dict[str, str], Json]:
        return 429, {"Retry-After": str(retry_after)}, error("Rate limit exceeded.")

    def _answer(
        self, entry: Logged, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Json]:
        canned = self._canned(entry.method, entry.path)
        if canned is not None:
            return canned.status, canned.headers, canned.body
        match = re.fullmatch(r"/rest/api/(2|3|latest)(/.*)", entry.path)
        if match is None:
            return 404, {}, self._not_found(entry.path)
        version = "2" if match[1] == "latest" else match[1]
        rest = match[2]
        if self.mode == "server" and version == "3":
            return 404, {}, self._not_found(entry.path)
        if rest == "/serverInfo" and entry.method == "GET":  # anonymous on real sites too
            return 200, {}, self._server_info()
        if not self._authorised(headers.get("Authorization", "")):
            return self._unauthorised()
        if raw and entry.body is None:
            return 400, {}, error("Unexpected character: the body is not JSON.")
        if rest == "/myself" and entry.method == "GET":
            return 200, {}, self._myself(version)
        if rest == "/field" and entry.method == "GET":
            return 200, {}, self._fields()
        if _SEARCH_PATH.fullmatch(entry.path):
            return self._search(entry, version, rest.endswith("/jql"))
        if rest == "/search/approximate-count" and self.mode == "cloud":
            return self._approximate_count(entry)
        if rest == "/issue/bulkfetch" and self.mode == "cloud":
            if self.bulk_refused is not None:
                return self.bulk_refused, {}, self._not_found(entry.path)
            return self._bulk_fetch(entry, version)
        if found := re.fullmatch(r"/issue/([^/]+)", rest):
            return self._issue(entry, version, found[1])
        if found := re.fullmatch(r"/issue/([^/]+)/comment(?:/(\d+))?", rest):
            return self._comment(entry, version, found[1], found[2])
        return 404, {}, self._not_found(entry.path)

    def _canned(self, method: str, path: str) -> Canned | None:
        chosen: Canned | None = None
        for canned in list(self.faults):
            if not canned.matches(method, path):
                continue
            if canned.after > 0:
                canned.after -= 1
            elif chosen is None:
                chosen = canned
        if chosen is not None:
            self.faults.remove(chosen)
        return chosen

    def _not_found(self, path: str) -> dict[str, Any]:
        return {"message": f"null for uri: {self.root}{self.context}{path}", "status-code": 404}

    def _authorised(self, header: str) -> bool:
        if self.mode == "server":
            return header == f"Bearer {self.token}"
        pair = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return header == f"Basic {pair}"

    def _unauthorised(self) -> tuple[int, dict[str, str], Json]:
        if self.mode == "cloud":
            headers = {
                "Content-Type": "text/plain;charset=UTF-8",
                "WWW-Authenticate": 'Basic realm="protected-by-api-token"',
                "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
            }
            return 401, headers, "Client must be authenticated to access this resource."
        headers = {"WWW-Authenticate": 'OAuth realm="jira"', "X-Seraph-LoginReason": "OK"}
        return (
            401,
            headers,
            error("You are not authenticated. Authentication required to perform this operation."),
        )

    def _server_info(self) -> dict[str, Any]:
        now = jira_time(self.clock(), self.zone)
        if self.mode == "cloud":
            return {
                "baseUrl": self.url,
                "displayUrl": self.url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100288,
                "buildDate": "2026-11-18T08:20:31.000+0000",
                "serverTime": now,
                "scmInfo": "9a7b5c1e3d",
                "serverTitle": "Jira",
                "defaultLocale": {"locale": "en_US"},
                "serverTimeZone": "Etc/UTC",
            }
        return {
            "baseUrl": self.url,
            "version": "9.12.15",
            "versionNumbers": [9, 12, 15],
            "deploymentType": "Server",
            "buildNumber": 9120015,
            "buildDate": "2026-10-02T00:00:00.000+0000",
            "databaseBuildNumber": 9120015,
            "serverTime": now,
            "scmInfo": "0f2c3a1b7e",
            "serverTitle": "Acme Jira",
        }

    def _myself(self, version: str) -> dict[str, Any]:
        base = f"{self.url}/rest/api/{version}"
        me = self._user(self.account)
        if self.mode == "cloud":
            return {
                "self": f"{base}/user?accountId={me['accountId']}",
                "accountId": me["accountId"],
                "accountType": "atlassian",
                "emailAddress": self.email,
                "avatarUrls": {"48x48": "https://avatar-management.example/pm.png"},
                "displayName": self.account,
                "active": True,
                "timeZone": self.time_zone,
                "locale": "en_US",
                "groups": {"size": 2, "items": []},
                "applicationRoles": {"size": 1, "items": []},
                "expand": "groups,applicationRoles",
            }
        return {
            "self": f"{base}/user?username={me['name']}",
            "key": me["key"],
            "name": me["name"],
            "emailAddress": self.email,
            "avatarUrls": {"48x48": f"{self.url}/secure/useravatar?avatarId=10122"},
            "displayName": self.account,
            "active": True,
            "deleted": False,
            "timeZone": self.time_zone,
            "locale": "en_UK",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }

    def _fields(self) -> list[dict[str, Any]]:
        def system(field_id: str, name: str, kind: str, **schema: Any) -> dict[str, Any]:
            return {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [field_id],
                "schema": {"type": kind, "system": field_id, **schema},
            }

        def custom(
            field_id: str, name: str, kind: str, plugin: str, **schema: Any
        ) -> dict[str, Any]:
            number = int(field_id.rpartition("_")[2])
            return {
                "id": field_id,
                "key": field_id,
                "name": name,
                "untranslatedName": name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{number}]", name],
                "schema": {"type": kind, "custom": plugin, "customId": number, **schema},
            }

        types = "com.atlassian.jira.plugin.system.customfieldtypes"
        listed = [
            system("summary", "Summary", "string"),
            system("status", "Status", "status"),
            system("issuetype", "Issue Type", "issuetype"),
            system("labels", "Labels", "array", items="string"),
            system("description", "Description", "string"),
            system("project", "Project", "project"),
            system("reporter", "Reporter", "user"),
            system("creator", "Creator", "user"),
            system("created", "Created", "datetime"),
            system("updated", "Updated", "datetime"),
            system("parent", "Parent", "issuelink" if self.mode == "cloud" else "any"),
            custom(STORY_POINTS_TEXT, "Story Points", "string", f"{types}:textfield"),
            custom(STORY_POINTS, "Story Points", "number", f"{types}:float"),
            custom(STORY_POINTS_SELECT, "Story Points", "option", f"{types}:select"),
            custom(OUTCOME, "Outcome", "array", f"{types}:multiselect", items="option"),
            custom(SPRINT, "Sprint", "array", "com.pyxis.greenhopper.jira:gh-sprint"),
        ]
        if self.mode == "cloud":
            listed += [
                custom(
                    ESTIMATE,
                    "Story point estimate",
                    "number",
                    "com.pyxis.greenhopper.jira:jsw-story-points",
                ),
                custom(TEAM, "Team", "team", f"{types}:atlassian-team"),
            ]
        else:
            listed += [
                custom(EPIC_LINK, "Epic Link", "any", "com.pyxis.greenhopper.jira:gh-epic-link"),
                custom(TEAM, "Team", "option", f"{types}:select"),
            ]
        return listed

    # --- search ----------------------------------------------------------------------

    def _search(
        self, entry: Logged, version: str, enhanced: bool
    ) -> tuple[int, dict[str, str], Json]:
        if self.mode == "cloud" and not enhanced:
            return 410, {}, error(GONE)
        if self.mode == "server" and enhanced:
            return 404, {}, self._not_found(entry.path)
        if entry.method not in ("GET", "POST"):
            return 405, {}, error("Method Not Allowed")
        if entry.method == "POST":
            if not isinstance(entry.body, Mapping):
                return 400, {}, error("The request body is not a JSON object.")
            allowed = _SEARCH_BODY_KEYS["3" if enhanced else "2"]
            for name in entry.body:
                if name not in allowed:
                    return 400, {}, error(UNRECOGNIZED.format(name=name))
        if self.pages_left is not None and self.pages_left <= 0:
            return 500, {}, error("Internal server error")
        try:
            keys = self._select(entry.jql)
            max_results = entry.number("maxResults")
            start = entry.number("startAt") or 0
        except _JqlError as exc:
            return 400, {}, error(str(exc))
        except ValueError:
            return 400, {}, error("maxResults and startAt must be integers.")
        wanted = entry.fields
        keys_only = bool(wanted) and set(wanted) <= {"key", "id"}
        cap = self.keys_page_cap if keys_only else self.page_cap
        granted = min(50 if max_results is None else max(max_results, 0), cap)
        digest = hashlib.sha256(entry.jql.encode()).hexdigest()[:12]
        if enhanced:
            token = (
                entry.body.get("nextPageToken")
                if isinstance(entry.body, Mapping)
                else (entry.query.get("nextPageToken") or [None])[0]
            )
            if token:
                start = self._read_token(str(token), digest)
                if start is None:
                    return 400, {}, error("The provided next page token is invalid or expired.")
        chunk = keys[start : start + granted]
        entry.returned = list(chunk)
        if self.pages_left is not None:
            self.pages_left -= 1
        issues = [self._render(self.issues[key], version, wanted, enhanced) for key in chunk]
        if enhanced:
            answer: dict[str, Any] = {"issues": issues}
            if start + len(chunk) < len(keys):
                answer["nextPageToken"] = self._token(start + len(chunk), digest)
            answer["isLast"] = "nextPageToken" not in answer
            return 200, {}, answer
        return (
            200,
            {},
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": granted,
                "total": len(keys),
                "issues": issues,
            },
        )

    def _approximate_count(self, entry: Logged) -> tuple[int, dict[str, str], Json]:
        """Cloud's count of a JQL's issues: POST ``{"jql"}``, answered ``{"count"}``;
        a query without a search restriction is refused, as Jira refuses it."""
        if entry.method != "POST":
            return 405, {}, error("Method Not Allowed")
        if not isinstance(entry.body, Mapping) or set(entry.body) - {"jql"}:
            return 400, {}, error("The request body is not a JSON object with jql alone.")
        jql = str(entry.body.get("jql", ""))
        if not _ORDER_BY.split(jql, maxsplit=1)[0].strip():
            return (
                400,
                {},
                error(
                    "Unbounded JQL queries are not allowed here. Please add a search restriction "
                    "to your query."
                ),
            )
        try:
            keys = self._select(jql)
        except _JqlError as exc:
            return 400, {}, error(str(exc))
        return 200, {}, {"count": len(keys)}

    def _bulk_fetch(self, entry: Logged, version: str) -> tuple[int, dict[str, str], Json]:
        """Cloud's ``POST issue/bulkfetch``: ``{"issueIdsOrKeys", "fields"}``, answered
        ``{"issues", "issueErrors"}`` in ascending id order. Up to 1,000 issues when the
        fields are named (no wildcard, none paged like comments), else 100; an issue
        that does not exist is left out, as Jira leaves it out."""
        if entry.method != "POST":
            return 405, {}, error("Method Not Allowed")
        body = entry.body
        if not isinstance(body, Mapping) or set(body) - _BULK_BODY_KEYS:
            return 400, {}, error("The request body is not a bulk fetch request.")
        asked = body.get("issueIdsOrKeys")
        wanted = body.get("fields") or []
        if not isinstance(asked, list) or not asked or not isinstance(wanted, list):
            return 400, {}, error("issueIdsOrKeys must be a list of at least one id or key.")
        named = bool(wanted) and not {"*all", "*navigable", "comment", "worklog"} & set(wanted)
        cap = self.bulk_cap or (1000 if named else 100)
        if len(asked) > cap:
            return 400, {}, error(f"You can request a maximum of {cap} issues.")
        found: dict[int, FakeIssue] = {}
        failed: list[dict[str, str]] = []
        for id_or_key in map(str, asked):
            issue = self._find(id_or_key)
            if issue is None:
                continue
            if str(issue.id) in self.bulk_errors:
                self.bulk_errors.remove(str(issue.id))
                failed.append({"id": str(issue.id), "errorMessage": "Retry the request later."})
                continue
            found[issue.id] = issue
        ordered = [found[number] for number in sorted(found)]
        entry.returned = [issue.key for issue in ordered]
        issues = [self._render(issue, version, wanted) for issue in ordered]
        return 200, {}, {"expand": "schema,names", "issues": issues, "issueErrors": failed}

    def _token(self, offset: int, digest: str) -> str:
        raw = json.dumps({"at": offset, "q": digest}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _read_token(self, token: str, digest: str) -> int | None:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("q") != digest:
            return None
        at = data.get("at")
        return at if isinstance(at, int) else None

    def _select(self, jql: str) -> list[str]:
        """Keys matching the JQL tieback sends: an opaque base, an optional
        ``updated >= "yyyy/MM/dd HH:mm"`` (in the user's zone) and ``ORDER BY key``."""
        text = jql.strip()
        ordered = _ORDER_BY.search(text)
        order = ordered["order"].strip().lower() if ordered else ""
        if ordered:
            text = text[: ordered.start()]
        if order and order not in ("key", "key asc", "key desc"):
            raise _JqlError(f"Error in the JQL Query: the fake orders by key only, not {order!r}.")
        named = _projects_named(text)
        for project in named:
            if project.upper() not in self.projects:
                raise _JqlError(f"The value '{project}' does not exist for the field 'project'.")
        since: datetime | None = None
        if found := _JQL_DATE.search(text):
            since = _jql_date(found["when"], self.zone)
        # Without ORDER BY key, Jira's order is not the key's: newest first, as here.
        keys = self._matching(since, descending=order in ("", "key desc"))
        if self.reads_projects and re.search(r"\bproject\s*(=|in\b)", text, re.I):
            # Which projects' issues: read only when a test asks (others name projects
            # for the JQL's sake and expect the whole backlog).
            wanted = {project.upper() for project in named}
            keys = [key for key in keys if key.split("-", 1)[0] in wanted]
        return keys

    def _matching(self, since: datetime | None, descending: bool) -> list[str]:
        """The keys of the issues updated ``since`` (all without it), in the key's order."""
        keys = [
            key for key, issue in self.issues.items() if since is None or issue.updated >= since
        ]
        return sorted(keys, key=natural_key, reverse=descending)

    # --- issues ----------------------------------------------------------------------

    def _render(
        self, issue: FakeIssue, version: str, wanted: list[str], enhanced: bool = False
    ) -> dict[str, Any]:
        """The REST issue object with only the ``wanted`` fields (plus id, key, self).

        With no fields asked for, ``search/jql`` answers ids alone; the other endpoints
        answer every field.
        """
        if enhanced and not wanted:
            return {"id": str(issue.id)}
        everything = self._all_fields(issue, version)
        if not wanted or {"*all", "*navigable"} & set(wanted):
            chosen = everything
        else:
            chosen = {name: everything.get(name) for name in wanted if name not in ("key", "id")}
        return {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": str(issue.id),
            "self": f"{self.url}/rest/api/{version}/issue/{issue.id}",
            "key": issue.key,
            "fields": chosen,
        }

    def _all_fields(self, issue: FakeIssue, version: str) -> dict[str, Json]:
        base = f"{self.url}/rest/api/{version}"
        category = _CATEGORIES.get(issue.status, (4, "indeterminate", "yellow", "In Progress"))
        subtask = issue.type.lower() in ("sub-task", "subtask")
        values: dict[str, Json] = {
            "summary": issue.summary,
            "status": {
                "self": f"{base}/status/{_stable_id(issue.status)}",
                "name": issue.status,
                "id": str(_stable_id(issue.status)),
                "statusCategory": {
                    "self": f"{base}/statuscategory/{category[0]}",
                    "id": category[0],
                    "key": category[1],
                    "colorName": category[2],
                    "name": category[3],
                },
            },
            "issuetype": {
                "self": f"{base}/issuetype/{10_000 + len(issue.type)}",
                "id": str(10_000 + len(issue.type)),
                "name": issue.type,
                "subtask": subtask,
                **(
                    {"hierarchyLevel": -1 if subtask else 1 if issue.type == "Epic" else 0}
                    if self.mode == "cloud"
                    else {}
                ),
            },
            "project": {
                "self": f"{base}/project/{issue.project}",
                "id": str(10_000 + sorted(self.projects).index(issue.project)),
                "key": issue.project,
                "name": issue.project.title(),
            },
            "labels": list(issue.labels),
            "description": (to_adf(issue.description) if version == "3" else issue.description)
            if issue.description
            else None,
            "reporter": self._user(issue.reporter),
            "creator": self._user(issue.reporter),
            "created": jira_time(issue.created, self.zone),
            "updated": jira_time(issue.updated, self.zone),
            # A done issue was resolved when it was last updated; an open one is not.
            "resolutiondate": jira_time(issue.updated, self.zone)
            if category[1] == "done"
            else None,
            "statuscategorychangedate": jira_time(issue.updated, self.zone),
            STORY_POINTS: issue.points,
            STORY_POINTS_TEXT: None,
            STORY_POINTS_SELECT: None,
            OUTCOME: [
                {
                    "self": f"{base}/customFieldOption/{10_300 + i}",
                    "value": value,
                    "id": str(10_300 + i),
                }
                for i, value in enumerate(issue.outcomes)
            ]
            or None,
        }
        if self.mode == "cloud":
            values[ESTIMATE] = None
            values[TEAM] = (
                {
                    "id": hashlib.md5(issue.team.encode()).hexdigest(),
                    "name": issue.team,
                    "title": issue.team,
                    "isVisible": True,
                    "isVerified": False,
                    "isShared": True,
                }
                if issue.team
                else None
            )
        else:
            values[EPIC_LINK] = None
            values[TEAM] = (
                {"self": f"{base}/customFieldOption/10500", "value": issue.team, "id": "10500"}
                if issue.team
                else None
            )
        parent = self.issues.get(issue.parent) if issue.parent else None
        if issue.parent and self.mode == "server" and parent is not None and parent.type == "Epic":
            values[EPIC_LINK] = issue.parent  # Data Center links stories to epics this way
        elif issue.parent:
            values["parent"] = {
                "id": str(parent.id) if parent else "0",
                "key": issue.parent,
                "self": f"{base}/issue/{parent.id if parent else 0}",
                "fields": {
                    "summary": parent.summary if parent else "",
                    "issuetype": {"name": parent.type if parent else "Story"},
                },
            }
        values.update(issue.custom)
        return values

    def _user(self, name: str) -> dict[str, Any]:
        if self.mode == "cloud":
            account = "712020:" + hashlib.md5(name.encode()).hexdigest()[:12]
            return {
                "accountId": account,
                "displayName": name,
                "active": True,
                "accountType": "atlassian",
            }
        login = name.split()[0].lower()
        key = f"JIRAUSER{10_000 + zlib.crc32(name.encode()) % 90_000}"  # one a person
        return {"name": login, "key": key, "displayName": name, "active": True}

    def _find(self, id_or_key: str) -> FakeIssue | None:
        key = id_or_key if id_or_key in self.issues else self._by_id.get(id_or_key)
        return self.issues.get(key) if key is not None else None

    def _issue(
        self, entry: Logged, version: str, id_or_key: str
    ) -> tuple[int, dict[str, str], Json]:
        issue = self._find(id_or_key)
        if issue is None:
            return 404, {}, error("Issue does not exist or you do not have permission to see it.")
        if entry.method == "GET":
            wanted = entry.query.get("fields")
            names = [n for part in wanted or [] for n in part.split(",") if n]
            return 200, {}, self._render(issue, version, names)
        if entry.method != "PUT":
            return 405, {}, error("Method Not Allowed")
        body = entry.body if isinstance(entry.body, Mapping) else {}
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, Mapping) or not isinstance(update, Mapping):
            return 400, {}, error("fields and update must be objects.")
        if fields:
            # Writing fields replaces their values: the whole label set, say. Refused.
            self.rejected.append(f"PUT {issue.key}: fields {sorted(fields)} would replace values")
            return 400, {}, error(**{name: "replacing values is refused here" for name in fields})
        if set(update) - {"labels"}:
            self.rejected.append(f"PUT {issue.key}: update of {sorted(set(update) - {'labels'})}")
            return (
                400,
                {},
                error(
                    **{name: "tieback only writes labels" for name in update if name != "labels"}
                ),
            )
        labels = list(issue.labels)
        for operation in update.get("labels") or []:
            if not isinstance(operation, Mapping) or len(operation) != 1:
                return 400, {}, error(labels="Each operation must be one of add, remove, set.")
            ((verb, value),) = operation.items()
            if verb == "set":
                self.rejected.append(f"PUT {issue.key}: labels set would replace the label set")
                return 400, {}, error(labels="set replaces the label set; refused by this fake")
            if verb not in ("add", "remove") or not isinstance(value, str):
                return 400, {}, error(labels=f"Unsupported label operation {verb!r}.")
            if " " in value:
                return (
                    400,
                    {},
                    error(labels=f"The label '{value}' contains spaces which is invalid."),
                )
            if verb == "add" and value not in labels:
                labels.append(value)
            elif verb == "remove" and value in labels:
                labels.remove(value)
        if labels != issue.labels:
            issue.labels = labels
            issue.updated = self.clock()
        return 204, {}, None

    # --- comments --------------------------------------------------------------------

    def _comment(
        self, entry: Logged, version: str, id_or_key: str, comment_id: str | None
    ) -> tuple[int, dict[str, str], Json]:
        issue = self._find(id_or_key)
        if issue is None:
            return 404, {}, error("Issue does not exist or you do not have permission to see it.")
        expand = ",".join(entry.query.get("expand", []))
        with_properties = "properties" in expand.split(",")
        comments = self.comments.setdefault(issue.key, [])
        if comment_id is None and entry.method == "GET":
            try:
                start = int((entry.query.get("startAt") or ["0"])[0])
                asked = int((entry.query.get("maxResults") or [str(self.comment_page_cap)])[0])
            except ValueError:
                return 400, {}, error("startAt and maxResults must be integers.")
            granted = min(max(asked, 0), self.comment_page_cap)
            page = comments[start : start + granted]
            return (
                200,
                {},
                {
                    "startAt": start,
                    "maxResults": granted,
                    "total": len(comments),
                    "comments": [self._comment_json(c, version, with_properties) for c in page],
                },
            )
        if comment_id is None and entry.method == "POST":
            body = entry.body if isinstance(entry.body, Mapping) else {}
            problem = self._invalid_body(body.get("body"), version)
            if problem:
                return 400, {}, problem
            properties = body.get("properties") or []
            if not isinstance(properties, list) or not all(
                isinstance(p, Mapping) and isinstance(p.get("key"), str) for p in properties
            ):
                return 400, {}, error(properties="Properties must be a list of {key, value}.")
            comment = self.add_comment(issue.key, body["body"], properties, author=self.account)
            return 201, {}, self._comment_json(comment, version, True)
        found = next((c for c in comments if str(c.id) == comment_id), None)
        if found is None:
            return 404, {}, error(f"Can not find a comment for the id: {comment_id}.")
        if entry.method == "GET":
            return 200, {}, self._comment_json(found, version, with_properties)
        if entry.method == "PUT":
            body = entry.body if isinstance(entry.body, Mapping) else {}
            problem = self._invalid_body(body.get("body"), version)
            if problem:
                return 400, {}, problem
            found.body = body["body"]
            found.updated = issue.updated = self.clock()
            return 200, {}, self._comment_json(found, version, with_properties)
        return 405, {}, error("Method Not Allowed")

    def _invalid_body(self, body: Json, version: str) -> dict[str, Any] | None:
        if body in (None, "", {}):
            return error(comment="Comment body can not be empty!")
        if version == "3" and not (isinstance(body, Mapping) and body.get("type") == "doc"):
            return error(
                comment="Operation value must be an Atlassian Document (see the Atlassian "
                "Document Format)"
            )
        if version == "2" and not isinstance(body, str):
            return error(
                "Can not deserialize instance of java.lang.String out of START_OBJECT token"
            )
        return None

    def _comment_json(self, comment: FakeComment, version: str, properties: bool) -> dict[str, Any]:
        issue = self.issues.get(comment.key)
        base = f"{self.url}/rest/api/{version}"
        if version == "3":
            body = comment.body if isinstance(comment.body, Mapping) else to_adf(comment.body)
        else:
            body = comment.body if isinstance(comment.body, str) else adf_to_text(comment.body)
        shown: dict[str, Any] = {
            "self": f"{base}/issue/{issue.id if issue else 0}/comment/{comment.id}",
            "id": str(comment.id),
            "author": self._user(comment.author),
            "body": body,
            "updateAuthor": self._user(comment.author),
            "created": jira_time(comment.created, self.zone),
            "updated": jira_time(comment.updated, self.zone),
        }
        if self.mode == "cloud":
            shown["jsdPublic"] = True
        if properties:
            shown["properties"] = [dict(p) for p in comment.properties]
        return shown


def _stable_id(name: str) -> int:
    return 10_000 + zlib.crc32(name.encode()) % 10_000


class _JqlError(ValueError):
    """A JQL the fake (like Jira) refuses; the message is Jira's."""


def _projects_named(jql: str) -> list[str]:
    names: list[str] = []
    for found in re.finditer(
        r"\bproject\s*(=|!=|in|not\s+in)\s*(\([^)]*\)|\"[^\"]*\"|\S+)", jql, re.I
    ):
        value = found[2].strip("()")
        names.extend(part.strip().strip("\"'") for part in value.split(",") if part.strip())
    return [n for n in names if n and not n.endswith(")")]


def _jql_date(text: str, zone: ZoneInfo) -> datetime:
    for pattern in ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    raise _JqlError(
        f"Date value '{text}' for field 'updated' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'."
    )


class _Handler(FakeHandler):
    fake: FakeJira
    json_type = "application/json;charset=UTF-8"


@contextmanager
def serve(fake: FakeJira) -> Iterator[FakeJira]:
    """Serve ``fake`` on an ephemeral port of 127.0.0.1 for the ``with`` block."""
    with serving(fake, _Handler) as address:
        fake.root = address
        yield fake
