"""A small fake GitHub (REST v3 and the GraphQL queries tieback sends) on 127.0.0.1.

It serves one repository from memory, speaks the real shapes (``Link`` pagination,
issue and comment objects, GraphQL ``data``/``errors``), checks the token, refuses
writes when ``read_only`` (as a fork's token does), and logs every request so tests
and the benchmark can count them.

Its token is an installation token, as Actions' ``GITHUB_TOKEN`` is: GraphQL's
``viewer`` is ``login`` (``github-actions[bot]``), the author of every comment it
creates, and ``GET /user`` is refused as GitHub refuses it to such a token. ``faults``
holds answers to give, in turn, before the real one: a 500, a rate limit. Its
``concurrency`` counts the requests in flight and the writes among them; with a
``limit`` it answers 429 past it, as GitHub's secondary rate limit does.

It also holds one GitHub Project (``orgs/acme/projects/5`` by default) with a
single-select field: ``project_items`` maps each issue in it to the field's value, and
the items query and ``updateProjectV2ItemFieldValue`` work on it as GitHub's do.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from e2e.serving import Concurrency, FakeHandler, serving

TOKEN = "ghs_fakeTokenForTests0123456789"
TOO_LONG = {
    "message": "Validation Failed",
    "errors": [
        {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ],
    "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
}
NOT_ACCESSIBLE = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
}
SECONDARY_LIMIT = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits",
}
Issue = dict[str, Any]
Answer = tuple[int, dict[str, str], Any]


def user(login: str) -> dict[str, Any]:
    """A ``user`` object as REST gives it; a bot's login ends in "[bot]"."""
    bot = login.endswith("[bot]")
    return {
        "login": login,
        "id": 41898282 if bot else 1_000 + sum(map(ord, login)),
        "type": "Bot" if bot else "User",
        "site_admin": False,
    }


class FakeGithub:
    """The state behind the server; mutate it between runs."""

    def __init__(self, repo: str = "acme/app", token: str = TOKEN) -> None:
        self.repo = repo
        self.token = token
        self.url = ""  # set once serving: http://127.0.0.1:PORT
        self.issues: dict[int, Issue] = {}  # REST issue objects; pull requests too
        self.closing: dict[int, list[int]] = {}  # pull request → issues it closes
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.files: dict[tuple[str, str], str] = {}  # (sha, path) → text
        self.read_only = False
        self.graphql_enabled = True
        self.login = "github-actions[bot]"  # the account the token writes as
        self.installation_token = True  # GET /user is refused, as for GITHUB_TOKEN
        # (method, path) → answers given in turn before the real one, e.g. a 500.
        self.faults: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []  # each request's body, beside its entry in requests
        # Seconds each request waits before its answer, as a network round trip would;
        # requests on different connections wait side by side, not in turn.
        self.latency = 0.0
        # For big listings: issue numbers 1..synthetic built on demand.
        self.synthetic = 0
        self.make_issue: Callable[[int], Issue] | None = None
        self._next_id = 1000
        self._lock = threading.Lock()
        self._listing: dict[str, list[int]] = {}
        # GitHub allows 100 requests in flight (its secondary limit); no limit unless set.
        self.concurrency = Concurrency(self._too_many, self._is_write)
        # The project: who owns it, its number, its single-select field and options, and
        # the issues in it with the field's value (None: empty). A draft issue sits in it
        # too. Changing a value moves no issue's updated_at, as on GitHub.
        self.project_owner = ("organization", "acme")
        self.project_number = 5
        self.project_field = "Outcome"
        self.project_options = ["results-in-a-minute", "activation"]
        self.project_items: dict[int, str | None] = {}

    # --- building state ------------------------------------------------------------

    def add_issue(self, number: int, title: str, **fields: Any) -> Issue:
        issue: Issue = {
            "url": f"{self.url}/repos/{self.repo}/issues/{number}",
            "repository_url": f"{self.url}/repos/{self.repo}",
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "id": 10_000 + number,
            "number": number,
            "title": title,
            "user": {"login": fields.pop("author", "ann-smith"), "type": "User"},
            "labels": [{"name": name} for name in fields.pop("labels", [])],
            "state": fields.pop("state", "open"),
            "body": fields.pop("body", ""),
            "type": ({"name": fields.pop("type")} if "type" in fields else None),
            "parent_issue_url": (
                f"{self.url}/repos/{self.repo}/issues/{fields.pop('parent')}"
                if "parent" in fields
                else None
            ),
            "updated_at": fields.pop("updated_at", "2026-11-01T10:00:00Z"),
            "created_at": "2026-10-01T10:00:00Z",
        }
        issue.update(fields)
        self.issues[number] = issue
        self._listing.clear()
        return issue

    def add_pull(self, number: int, title: str, closes: Sequence[int] = (), **fields: Any) -> Issue:
        branch = fields.pop("branch", f"feature/{number}")
        base_sha = fields.pop("base_sha", "b" * 40)
        head_sha = fields.pop("head_sha", "c" * 40)
        pull = self.add_issue(number, title, **fields)
        pull["html_url"] = f"https://github.com/{self.repo}/pull/{number}"
        pull["pull_request"] = {"url": f"{self.url}/repos/{self.repo}/pulls/{number}"}
        owner = fields.pop("head_owner", None) or self.repo.split("/")[0]
        name = self.repo.split("/")[1]
        pull["head"] = {
            "label": f"{owner}:{branch}",
            "ref": branch,
            "sha": head_sha,
            "repo": {"full_name": f"{owner}/{name}"},
        }
        pull["base"] = {
            "label": f"{self.repo.split('/')[0]}:main",
            "ref": "main",
            "sha": base_sha,
            "repo": {"full_name": self.repo},
        }
        self.closing[number] = list(closes)
        return pull

    def add_comment(self, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment = {
                "id": self._next_id,
                "html_url": f"https://github.com/{self.repo}/pull/{number}#issuecomment-{self._next_id}",
                "body": body,
                "user": user(login),
            }
            self.comments.setdefault(number, []).append(comment)
        return comment

    def writes(self) -> list[tuple[str, str]]:
        return [
            (m, p)
            for m, p in self.requests
            if m in ("POST", "PATCH", "PUT", "DELETE") and p != "/graphql"
        ]

    # --- answering -----------------------------------------------------------------

    @staticmethod
    def _is_write(method: str, target: str) -> bool:
        return method != "GET" and urlsplit(target).path != "/graphql"  # a query is a read

    @staticmethod
    def _too_many(retry_after: int) -> Answer:
        return 429, {"Retry-After": str(retry_after)}, SECONDARY_LIMIT

    def issue(self, number: int) -> Issue | None:
        if number in self.issues:
            return self.issues[number]
        if self.make_issue is not None and 1 <= number <= self.synthetic:
            return self.make_issue(number)
        return None

    def listing(self, since: str) -> list[int]:
        """Issue numbers newest first (GitHub's default order), updated at or after since."""
        if since not in self._listing:
            numbers = sorted(set(self.issues) | set(range(1, self.synthetic + 1)), reverse=True)
            if since:
                numbers = [n for n in numbers if (self.issue(n) or {})["updated_at"] >= since]
            self._listing[since] = numbers
        return self._listing[since]

    def handle(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        with self._lock:
            self.requests.append((method, path))
            self.bodies.append(body)
        if headers.get("Authorization", "") not in (f"token {self.token}", f"Bearer {self.token}"):
            return (
                401,
                {},
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            )
        with self._lock:
            faults = self.faults.get((method, path))
            if faults:
                return faults.pop(0)
        if path == "/user":
            if self.installation_token:
                return 403, {}, NOT_ACCESSIBLE
            return 200, {}, user(self.login)
        if path == "/graphql":
            if not self.graphql_enabled:
                message = "Field 'closingIssuesReferences' doesn't exist on type 'PullRequest'"
                return 200, {}, {"errors": [{"message": message}]}
            return 200, {}, self.graphql(json.loads(body))
        prefix = f"/repos/{self.repo}"
        if not path.startswith(prefix):
            return 404, {}, {"message": "Not Found"}
        rest = path[len(prefix) :]
        if method != "GET" and self.read_only:
            return 403, {}, {"message": "Resource not accessible by integration"}
        if method == "GET" and rest == "/issues":
            return self.page(self.listing(query.get("since", [""])[0]), query, path, self.issue)
        if match := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(match[1])
            if method == "GET":
                comments = self.comments.get(number, [])
                by_index = dict(enumerate(comments))
                return self.page(list(range(len(comments))), query, path, by_index.get)
            if method == "POST":
                text = json.loads(body)["body"]
                if len(text) > 65_536:
                    return 422, {}, TOO_LONG
                return 201, {}, self.add_comment(number, text, self.login)
        if match := re.fullmatch(r"/issues/comments/(\d+)", rest):
            found = [c for cs in self.comments.values() for c in cs if c["id"] == int(match[1])]
            if not found:
                return 404, {}, {"message": "Not Found"}
            if method == "PATCH":
                found[0]["body"] = json.loads(body)["body"]
            return 200, {}, found[0]
        if match := re.fullmatch(r"/issues/(\d+)/labels(?:/(.+))?", rest):
            issue = self.issue(int(match[1]))
            if issue is None:
                return 404, {}, {"message": "Not Found"}
            if method == "POST":
                for name in json.loads(body)["labels"]:
                    if all(label["name"] != name for label in issue["labels"]):
                        issue["labels"].append({"name": name})
                return 200, {}, issue["labels"]
            if method == "DELETE":
                before = len(issue["labels"])
                issue["labels"] = [label for label in issue["labels"] if label["name"] != match[2]]
                if len(issue["labels"]) == before:
                    return 404, {}, {"message": "Label does not exist"}
                return 200, {}, issue["labels"]
        if method == "GET" and rest == "/pulls":
            head = query.get("head", [""])[0].lower()
            state = query.get("state", ["open"])[0]
            pulls = [
                number
                for number, pull in sorted(self.issues.items())
                if "head" in pull
                and (not head or pull["head"]["label"].lower() == head)
                and (state == "all" or pull["state"] == state)
            ]
            return self.page(pulls, query, path, self.issues.get)
        if match := re.fullmatch(r"/pulls/(\d+)", rest):
            pull = self.issues.get(int(match[1]))
            if pull is None or "pull_request" not in pull:
                return 404, {}, {"message": "Not Found"}
            return 200, {}, {**pull, "user": pull["user"]}
        if match := re.fullmatch(r"/contents/(.+)", rest):
            text = self.files.get((query.get("ref", [""])[0], match[1]))
            if text is None:
                return 404, {}, {"message": "Not Found"}
            encoded = base64.b64encode(text.encode()).decode()
            return (
                200,
                {},
                {"type": "file", "encoding": "base64", "path": match[1], "content": encoded},
            )
        return 404, {}, {"message": "Not Found"}

    def page(
        self, keys: list[int], query: dict[str, list[str]], path: str, get: Callable[[int], Any]
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        number = int(query.get("page", ["1"])[0])
        chunk = keys[(number - 1) * per_page : number * per_page]
        headers: dict[str, str] = {}
        if number * per_page < len(keys):
            rest = {k: v[0] for k, v in query.items() if k != "page"}
            args = "&".join(f"{k}={v}" for k, v in rest.items())
            last = -(-len(keys) // per_page)
            headers["Link"] = (
                f'<{self.url}{path}?{args}&page={number + 1}>; rel="next", '
                f'<{self.url}{path}?{args}&page={last}>; rel="last"'
            )
        return 200, headers, [get(key) for key in chunk]

    def graphql(self, request: dict[str, Any]) -> dict[str, Any]:
        query, variables = request["query"], request.get("variables") or {}
        bot = self.login.endswith("[bot]")
        viewer = {"__typename": "Bot" if bot else "User", "login": self.login}
        if "projectV2(" in query:
            return self._project_query(query, variables)
        if "updateProjectV2ItemFieldValue" in query:
            return self._set_project_field(variables)
        if "pullRequest(number" in query:
            answer = self._pull_query(variables)
            answer["data"]["viewer"] = viewer
            return answer
        if "viewer" in query:
            return {"data": {"viewer": viewer}}
        if "totalCount" in query:
            count = sum(1 for n in self.listing("") if "pull_request" not in (self.issue(n) or {}))
            aliases = re.findall(r"(r\d+): repository", query)
            return {"data": {alias: {"issues": {"totalCount": count}} for alias in aliases}}
        numbers = [n for n in self.listing("") if "pull_request" not in (self.issue(n) or {})]
        start = int(variables.get("after") or 0)
        nodes = [{"number": n} for n in numbers[start : start + 100]]
        more = start + 100 < len(numbers)
        info = {"hasNextPage": more, "endCursor": str(start + 100) if more else None}
        repository: dict[str, Any] = {"issues": {"nodes": nodes, "pageInfo": info}}
        if "nameWithOwner" in query:
            repository["nameWithOwner"] = self.repo
        return {"data": {"repository": repository}}

    def _project_query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        owner = "organization" if "organization(login" in query else "user"
        if (owner, variables["login"]) != self.project_owner or (
            variables["number"] != self.project_number
        ):
            message = f"Could not resolve to a ProjectV2 with the number {variables['number']}."
            error = {"type": "NOT_FOUND", "path": [owner, "projectV2"], "message": message}
            return {"data": {owner: {"projectV2": None}}, "errors": [error]}
        field = None
        if variables["field"] == self.project_field:
            field = {
                "__typename": "ProjectV2SingleSelectField",
                "id": "PVTSSF_outcome",
                "name": self.project_field,
                "dataType": "SINGLE_SELECT",
                "options": [{"id": f"opt-{name}", "name": name} for name in self.project_options],
            }
        entries: list[dict[str, Any]] = [
            {"id": "PVTI_draft", "content": {"__typename": "DraftIssue"}, "fieldValueByName": None}
        ]
        for number, value in sorted(self.project_items.items()):
            kind = "PullRequest" if "pull_request" in (self.issue(number) or {}) else "Issue"
            entries.append(
                {
                    "id": f"PVTI_{number}",
                    "content": {
                        "__typename": kind,
                        "number": number,
                        "repository": {"nameWithOwner": self.repo},
                    },
                    "fieldValueByName": (
                        {"__typename": "ProjectV2ItemFieldSingleSelectValue", "name": value}
                        if value is not None and field is not None
                        else None
                    ),
                }
            )
        start = int(variables.get("after") or 0)
        more = start + 100 < len(entries)
        info = {"hasNextPage": more, "endCursor": str(start + 100) if more else None}
        items = {"pageInfo": info, "nodes": entries[start : start + 100]}
        node = {"id": "PVT_project", "field": field, "items": items}
        return {"data": {owner: {"projectV2": node}}}

    def _set_project_field(self, variables: dict[str, Any]) -> dict[str, Any]:
        if self.read_only:
            error = {"type": "FORBIDDEN", "message": "Resource not accessible by integration"}
            return {"data": {"updateProjectV2ItemFieldValue": None}, "errors": [error]}
        number = int(variables["item"].removeprefix("PVTI_"))
        option = variables["value"]["singleSelectOptionId"].removeprefix("opt-")
        self.project_items[number] = option
        changed = {"projectV2Item": {"id": variables["item"]}}
        return {"data": {"updateProjectV2ItemFieldValue": changed}}

    def _pull_query(self, variables: dict[str, Any]) -> dict[str, Any]:
        pull = self.issues.get(variables["number"])
        if pull is None or "pull_request" not in pull:
            message = (
                f"Could not resolve to a PullRequest with the number of {variables['number']}."
            )
            error = {"type": "NOT_FOUND", "path": ["repository", "pullRequest"], "message": message}
            return {"data": {"repository": {"pullRequest": None}}, "errors": [error]}
        node = self._node(pull)
        node.update(
            headRefName=pull["head"]["ref"],
            headRefOid=pull["head"]["sha"],
            baseRefOid=pull["base"]["sha"],
            closingIssuesReferences={
                "nodes": [
                    self._issue_node(n, 3)
                    for n in self.closing.get(pull["number"], [])
                    if self.issue(n)
                ]
            },
        )
        repository: dict[str, Any] = {"pullRequest": node}
        for name in ("base", "head"):
            if variables.get(f"with{name.title()}"):
                sha, _, path = variables[name].partition(":")
                text = self.files.get((sha, path))
                repository[name] = {"text": text} if text is not None else None
        return {"data": {"repository": repository}}

    def _node(self, issue: Issue) -> dict[str, Any]:
        login = issue["user"]["login"]
        bot = login.endswith("[bot]")
        return {
            "number": issue["number"],
            "title": issue["title"],
            "body": issue["body"],
            "url": issue["html_url"],
            "state": issue["state"].upper(),
            "author": {
                "__typename": "Bot" if bot else "User",
                "login": login.removesuffix("[bot]"),
            },
            "labels": {"nodes": [{"name": label["name"]} for label in issue["labels"]]},
        }

    def _issue_node(self, number: int, depth: int) -> dict[str, Any]:
        issue = self.issue(number) or {}
        node = self._node(issue)
        node["repository"] = {"nameWithOwner": self.repo}
        node["issueType"] = issue.get("type")
        parent = issue.get("parent_issue_url")
        node["parent"] = None
        if parent and depth > 0:
            node["parent"] = self._issue_node(int(parent.rsplit("/", 1)[1]), depth - 1)
        return node


class _Handler(FakeHandler):
    fake: FakeGithub


@contextmanager
def serve(fake: FakeGithub) -> Iterator[FakeGithub]:
    """Serve ``fake`` on an ephemeral port of 127.0.0.1 for the ``with`` block."""
    with serving(fake, _Handler) as address:
        fake.url = address
        for issue in fake.issues.values():  # URLs written before the port was known
            issue["repository_url"] = f"{fake.url}/repos/{fake.repo}"
        yield fake
