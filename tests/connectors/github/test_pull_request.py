"""The pull-request check against GitHub-shaped REST and GraphQL answers (responses)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from conftest import OUTCOMES_TOML
from pydantic import SecretStr

from factories import item
from tieback.config import Config
from tieback.connectors.github import github_query
from tieback.connectors.github.client import GithubClient
from tieback.connectors.github.pr import (
    STICKY_MARKER,
    closing_keys,
    keep_sticky,
    read_event,
    render_comment,
    run_pr,
)
from tieback.connectors.github.pr.comment import BUDGET
from tieback.errors import TiebackError
from tieback.http import RetryPolicy
from tieback.model import Outcome
from tieback.store import Store

API = "https://api.github.com"
MOCK = "https://api.github.com:443"  # PyGithub names the port; responses matches as sent
COMMENTS = f"{MOCK}/repos/acme/app/issues/7/comments"
CONFIG = """
[github]
repos = ["acme/app"]

[github.pull_request]
jira_keys = ["EDU"]
"""


def client() -> GithubClient:
    return GithubClient(API, SecretStr("ghp_prTest0123456789"), RetryPolicy(sleep=lambda _: None))


OWN = "github-actions[bot]"  # the account Actions' GITHUB_TOKEN writes as


def comment(number: int, body: str = "Looks good", login: str = "reviewer") -> dict[str, Any]:
    """An issue comment as GitHub's REST API returns it."""
    bot = login.endswith("[bot]")
    return {
        "id": number,
        "html_url": f"https://github.com/acme/app/pull/7#issuecomment-{number}",
        "body": body,
        "user": {
            "login": login,
            "id": 41898282 if bot else 583231,
            "node_id": "MDM6Qm90NDE4OTgyODI=" if bot else "MDQ6VXNlcjU4MzIzMQ==",
            "type": "Bot" if bot else "User",
        },
        "author_association": "NONE" if bot else "MEMBER",
    }


def viewer(login: str = OWN) -> dict[str, Any]:
    """GraphQL's ``viewer`` for the token: a Bot's login without "[bot]"."""
    bot = login.endswith("[bot]")
    return {
        "data": {
            "viewer": {
                "__typename": "Bot" if bot else "User",
                "login": login[:-5] if bot else login,
            }
        }
    }


def pull_node(**fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "number": 7,
        "title": "Speed up grading",
        "body": "",
        "url": "https://github.com/acme/app/pull/7",
        "state": "OPEN",
        "headRefName": "feature/fast",
        "headRefOid": "c" * 40,
        "baseRefOid": "b" * 40,
        "author": {"__typename": "User", "login": "ann-smith"},
        "labels": {"nodes": []},
        "closingIssuesReferences": {"nodes": []},
    }
    node.update(fields)
    return node


def graphql(node: dict[str, Any], base: str | None = None) -> dict[str, Any]:
    """The answer to tieback's pull-request query, the token's account included."""
    repository: dict[str, Any] = {"pullRequest": node}
    if base is not None:
        repository["base"] = {"text": base}
    return {"data": {"viewer": viewer()["data"]["viewer"], "repository": repository}}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith(("GITHUB_", "TIEBACK_"))]:
        monkeypatch.delenv(name)
    return tmp_path


@pytest.fixture
def environ(repo: Path) -> Callable[..., dict[str, str]]:
    def make(name: str = "pull_request", payload: dict[str, Any] | None = None) -> dict[str, str]:
        event = repo / "event.json"
        event.write_text(
            json.dumps(
                payload
                or {
                    "action": "opened",
                    "pull_request": {
                        "number": 7,
                        "labels": [{"name": "outcome:activation"}],  # stale: not trusted
                        "base": {"sha": "b" * 40, "repo": {"full_name": "acme/app"}},
                        "head": {"sha": "c" * 40, "repo": {"full_name": "acme/app"}},
                    },
                }
            )
        )
        for file in ("summary.md", "output.txt"):
            (repo / file).write_text("")
        return {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": name,
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_STEP_SUMMARY": str(repo / "summary.md"),
            "GITHUB_OUTPUT": str(repo / "output.txt"),
            "GITHUB_WORKSPACE": str(repo),
            "RUNNER_TEMP": str(repo),
        }

    return make


@pytest.fixture
def config(write_config: Callable[..., Config]) -> Config:
    return write_config(CONFIG)


def outputs(repo: Path) -> dict[str, str]:
    lines = (repo / "output.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


# --- the event ---------------------------------------------------------------------


def test_event_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(TiebackError, match="GITHUB_EVENT_PATH is not set"):
        read_event({})
    with pytest.raises(TiebackError, match="cannot read the event file"):
        read_event({"GITHUB_EVENT_PATH": str(tmp_path / "nope.json")})
    broken = tmp_path / "event.json"
    broken.write_text("[1, 2")
    with pytest.raises(TiebackError, match=r"is not JSON \(.* at line 1\)"):
        read_event({"GITHUB_EVENT_PATH": str(broken), "GITHUB_REPOSITORY": "acme/app"})
    broken.write_text('{"pull_request": {"title": "no number"}}')
    env = {"GITHUB_EVENT_PATH": str(broken), "GITHUB_REPOSITORY": "acme/app"}
    with pytest.raises(TiebackError, match=r"without pull_request\.number"):
        read_event(env)
    broken.write_text('{"issue": {}}')
    with pytest.raises(TiebackError, match="not issues"):
        read_event({**env, "GITHUB_EVENT_NAME": "issues"})


def test_merge_group_and_fork_events(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(
        json.dumps(
            {
                "merge_group": {
                    "head_ref": "refs/heads/gh-readonly-queue/main/pr-42-" + "a" * 40,
                    "head_sha": "a" * 40,
                    "base_sha": "b" * 40,
                }
            }
        )
    )
    env = {"GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "acme/app"}
    assert read_event(env).number == 42
    path.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 3,
                    "head": {"repo": {"full_name": "someone/app"}},
                    "base": {"sha": "b" * 40},
                },
                "repository": {"full_name": "acme/app"},
            }
        )
    )
    event = read_event({"GITHUB_EVENT_PATH": str(path), "GITHUB_EVENT_NAME": "pull_request"})
    assert event.fork and event.repo == "acme/app" and not event.trusted_checkout


def workflow_run(pulls: list[dict[str, Any]], head_owner: str = "octo-org") -> dict[str, Any]:
    """A ``workflow_run`` payload shaped as GitHub's own example (octokit/webhooks,
    payload-examples/api.github.com/workflow_run/completed.with-pull-requests), trimmed to
    the fields of each object that matter: there, the one entry of ``pull_requests``
    belongs to another repository (Codertocat/Hello-World) than the workflow's."""
    repository = {
        "id": 300029405,
        "node_id": "MDEwOlJlcG9zaXRvcnkzMDAwMjk0MDU=",
        "name": "octo-repo",
        "full_name": "octo-org/octo-repo",
        "private": False,
        "owner": {"login": "octo-org", "id": 41548062, "type": "Organization"},
        "url": "https://api.github.com/repos/octo-org/octo-repo",
        "default_branch": "master",
    }
    head_repository = {
        **repository,
        "full_name": f"{head_owner}/octo-repo",
        "owner": {"login": head_owner, "id": 41548062, "type": "Organization"},
    }
    return {
        "action": "completed",
        "repository": repository,
        "sender": {"login": "Codertocat", "id": 15669918, "type": "User"},
        "workflow": {"id": 2823525, "name": "test", "path": ".github/workflows/test.yml"},
        "workflow_run": {
            "id": 289782451,
            "name": "",
            "event": "pull_request",
            "status": "completed",
            "conclusion": "success",
            "head_branch": "master",
            "head_sha": "3484a3fb816e0859fd6e1cea078d76385ff50625",
            "head_repository": head_repository,
            "repository": repository,
            "pull_requests": pulls,
        },
    }


HELLO_WORLD_PULL = {
    "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
    "id": 279147437,
    "number": 2,
    "head": {
        "ref": "changes",
        "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "repo": {
            "id": 186853002,
            "url": "https://api.github.com/repos/Codertocat/Hello-World",
            "name": "Hello-World",
        },
    },
    "base": {
        "ref": "master",
        "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
        "repo": {
            "id": 186853002,
            "url": "https://api.github.com/repos/Codertocat/Hello-World",
            "name": "Hello-World",
        },
    },
}
OCTO_PULLS = "https://api.github.com:443/repos/octo-org/octo-repo/pulls"


def open_pull(number: int, head_owner: str = "octo-org", branch: str = "master") -> dict[str, Any]:
    """A pull request as ``GET /repos/{owner}/{repo}/pulls`` lists it."""
    return {
        "url": f"https://api.github.com/repos/octo-org/octo-repo/pulls/{number}",
        "number": number,
        "state": "open",
        "title": f"Pull {number}",
        "user": {"login": "Codertocat", "id": 15669918, "type": "User"},
        "head": {
            "label": f"{head_owner}:{branch}",
            "ref": branch,
            "sha": "3484a3fb816e0859fd6e1cea078d76385ff50625",
            "repo": {"id": 300029406, "full_name": f"{head_owner}/octo-repo"},
        },
        "base": {
            "label": "octo-org:main",
            "ref": "main",
            "sha": "b" * 40,
            "repo": {"id": 300029405, "full_name": "octo-org/octo-repo"},
        },
    }


def run_event(repo: Path, payload: dict[str, Any]) -> dict[str, str]:
    """The environment of a workflow_run job in octo-org/octo-repo."""
    event = repo / "event.json"
    event.write_text(json.dumps(payload))
    for file in ("summary.md", "output.txt"):
        (repo / file).write_text("")
    return {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_STEP_SUMMARY": str(repo / "summary.md"),
        "GITHUB_OUTPUT": str(repo / "output.txt"),
        "GITHUB_WORKSPACE": str(repo),
        "RUNNER_TEMP": str(repo),
    }


def test_a_workflow_run_names_only_its_own_repositorys_pull_request(repo: Path) -> None:
    foreign = read_event(run_event(repo, workflow_run([HELLO_WORLD_PULL])))
    assert foreign.repo == "octo-org/octo-repo"
    assert foreign.number is None  # not octo-org/octo-repo#2
    assert foreign.head_label == "octo-org:master"

    own = {**HELLO_WORLD_PULL, "number": 9}
    own["base"] = {
        "ref": "master",
        "repo": {
            "id": 300029405,
            "url": "https://api.github.com/repos/octo-org/octo-repo",
            "name": "octo-repo",
        },
    }
    assert read_event(run_event(repo, workflow_run([HELLO_WORLD_PULL, own]))).number == 9
    # Without ids, the API URL names the repository (case aside).
    by_url = {
        **own,
        "base": {"repo": {"url": "https://ghe.acme.io/api/v3/repos/Octo-Org/octo-repo"}},
    }
    assert read_event(run_event(repo, workflow_run([by_url]))).number == 9


@responses.activate
def test_a_workflow_run_for_another_repositorys_pull_request_comments_nowhere(
    config: Config, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.get(OCTO_PULLS, json=[])
    env = run_event(repo, workflow_run([HELLO_WORLD_PULL]))
    assert run_pr(config, env, client=client()) == 0
    [lookup] = responses.calls  # the head looked up; nothing read or written besides
    assert "head=octo-org%3Amaster" in lookup.request.url and "state=open" in lookup.request.url
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed == [
        "tieback pr: workflow_run: no open pull request of octo-org/octo-repo has the head "
        "octo-org:master (the run names Codertocat/Hello-World#2, another repository's); "
        "nothing to check, passing"
    ]
    assert outputs(repo)["status"] == "skipped"


@responses.activate
def test_a_fork_pull_request_found_by_its_head_only_when_exactly_one_matches(
    config: Config, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = run_event(repo, workflow_run([], head_owner="someone"))
    # GitHub lists two open pull requests from someone:master (into main and a release branch).
    responses.get(OCTO_PULLS, json=[open_pull(4, "someone"), open_pull(5, "someone")])
    assert run_pr(config, env, client=client()) == 0
    assert len(responses.calls) == 1
    assert "2 open pull requests of octo-org/octo-repo have the head someone:master" in (
        capsys.readouterr().out
    )
    responses.reset()

    # One, and one listed for another head (a server that ignored the filter): #4 is checked.
    responses.get(OCTO_PULLS, json=[open_pull(4, "someone"), open_pull(6, "octo-org")])
    node = pull_node(number=4, labels={"nodes": [{"name": "outcome:activation"}]})
    responses.post(f"{MOCK}/graphql", json=graphql(node))
    responses.get(f"{MOCK}/repos/octo-org/octo-repo/issues/4/comments", json=[])
    responses.post(
        f"{MOCK}/repos/octo-org/octo-repo/issues/4/comments", status=201, json=comment(1, "x", OWN)
    )
    assert run_pr(config, env, mode="warn", client=client()) == 0
    assert outputs(repo)["status"] == "aligned"
    assert responses.calls[-1].request.url.endswith("/repos/octo-org/octo-repo/issues/4/comments")


def test_closing_keywords_across_repositories() -> None:
    body = (
        "Fixes #12, closes acme/web#3 and\nResolved: https://github.com/acme/api/issues/9\n"
        "Mentions #4 without closing it. fixes #12 again"
    )
    assert closing_keys(body, "acme/app") == ["acme/app#12", "acme/web#3", "acme/api#9"]


# --- the sticky comment --------------------------------------------------------------


def link(page: int) -> dict[str, str]:
    url = f"{API}/repositories/1/issues/7/comments?per_page=100"
    return {"Link": f'<{url}&page={page}>; rel="next", <{url}&page=3>; rel="last"'}


@responses.activate
def test_the_sticky_comment_is_found_on_a_later_page_and_edited_in_place() -> None:
    responses.get(COMMENTS, json=[comment(i) for i in range(1, 101)], headers=link(2))
    page_two = [comment(i) for i in range(101, 201)]
    page_two[50] = comment(151, f"{STICKY_MARKER}\nold verdict", OWN)
    responses.get(f"{MOCK}/repositories/1/issues/7/comments", json=page_two)
    responses.patch(f"{MOCK}/repos/acme/app/issues/comments/151", json=comment(151, "new"))
    responses.post(f"{MOCK}/graphql", json=viewer())
    sticky = keep_sticky(client(), "acme/app", 7, f"{STICKY_MARKER}\nnew", "short", "")
    assert (sticky.action, sticky.comment_id) == ("edited", "151")
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "GET", "PATCH"]


@responses.activate
def test_an_unchanged_comment_is_not_rewritten() -> None:
    body = f"{STICKY_MARKER}\nverdict"
    responses.get(f"{MOCK}/repos/acme/app/issues/comments/9", json=comment(9, body + "\r\n"))
    assert keep_sticky(client(), "acme/app", 7, body, "short", "9").action == "unchanged"
    assert len(responses.calls) == 1


@responses.activate
def test_a_body_too_long_for_github_falls_back_to_the_summary() -> None:
    responses.post(f"{MOCK}/graphql", json=viewer())
    responses.get(COMMENTS, json=[])
    too_long = {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": "body is too long (maximum is 65536 characters)",
            }
        ],
    }
    responses.post(COMMENTS, status=422, json=too_long)
    responses.post(COMMENTS, status=201, json=comment(5, "short"))
    sticky = keep_sticky(client(), "acme/app", 7, "long", "short", "")
    assert sticky.action == "created"
    assert json.loads(responses.calls[-1].request.body or b"") == {"body": "short"}


@responses.activate
def test_a_read_only_token_is_refused_not_fatal() -> None:
    responses.post(f"{MOCK}/graphql", json=viewer())
    responses.get(COMMENTS, json=[])
    message = {"message": "Resource not accessible by integration"}
    responses.post(COMMENTS, status=403, json=message)
    sticky = keep_sticky(client(), "acme/app", 7, "body", "short", "")
    assert sticky.action == "refused" and "HTTP 403" in sticky.detail
    assert len(responses.calls) == 3  # who the token is, the comments, one write not retried


@responses.activate
def test_another_authors_sticky_marker_is_never_edited() -> None:
    # A reviewer quoted the old comment, marker and all; tieback's own comes after it.
    quoted = comment(5, f"> {STICKY_MARKER}\n> old verdict\nWhy?", "reviewer")
    responses.post(f"{MOCK}/graphql", json=viewer())
    responses.get(COMMENTS, json=[quoted])
    responses.post(COMMENTS, status=201, json=comment(6, "new", OWN))
    sticky = keep_sticky(client(), "acme/app", 7, f"{STICKY_MARKER}\nnew", "short", "")
    assert (sticky.action, sticky.comment_id) == ("created", "6")
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "POST"]
    responses.reset()

    responses.post(f"{MOCK}/graphql", json=viewer())
    responses.get(COMMENTS, json=[quoted, comment(6, f"{STICKY_MARKER}\nnew", OWN)])
    responses.patch(f"{MOCK}/repos/acme/app/issues/comments/6", json=comment(6, "newer", OWN))
    sticky = keep_sticky(client(), "acme/app", 7, f"{STICKY_MARKER}\nnewer", "short", "")
    assert (sticky.action, sticky.comment_id) == ("edited", "6")
    assert all(not c.request.url.endswith("/comments/5") for c in responses.calls)


@responses.activate
def test_an_unknown_account_leaves_a_marked_comment_alone_and_adds_none() -> None:
    refused = {"message": "Resource not accessible by integration"}
    responses.post(f"{MOCK}/graphql", status=403, json=refused)
    responses.get(f"{MOCK}/user", status=403, json=refused)
    responses.get(COMMENTS, json=[comment(5, f"{STICKY_MARKER}\nold", "someone")])
    sticky = keep_sticky(client(), "acme/app", 7, f"{STICKY_MARKER}\nnew", "short", "")
    assert sticky.action == "skipped" and "cannot tell which account" in sticky.detail
    assert all(c.request.method == "GET" or "graphql" in c.request.url for c in responses.calls)


def test_long_lists_are_summarised_under_the_limit() -> None:
    outcomes = [Outcome(f"outcome-{i}", "A long title " * 40) for i in range(2000)]
    context = {
        "marker": STICKY_MARKER,
        "version": "0",
        "mode": "enforce",
        "pr": {"key": "acme/app#7", "title": "t", "url": ""},
        "verdict": {"status": "unaligned", "unknown_refs": (), "retired": False},
        "chain": [],
        "evidence": [],
        "tagging": {"prefix": "outcome:", "body_marker": "Outcome:"},
        "skip_label": "no-outcome",
        "jira_projects": [],
        "outcomes": outcomes,
        "outcomes_file": "outcomes.toml",
        "backlog": None,
        "move": None,
    }
    body = render_comment(context)
    assert len(body) <= BUDGET < 65_536
    assert "more in `outcomes.toml`" in body and body.startswith(STICKY_MARKER)


# --- whole runs ----------------------------------------------------------------------


@responses.activate
def test_a_pr_with_300_comments_costs_at_most_six_requests(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    responses.post(f"{MOCK}/graphql", json=graphql(pull_node()))
    responses.get(COMMENTS, json=[comment(i) for i in range(1, 101)], headers=link(2))
    responses.get(
        f"{MOCK}/repositories/1/issues/7/comments",
        json=[comment(i) for i in range(101, 201)],
        headers=link(3),
        match=[responses.matchers.query_param_matcher({"per_page": "100", "page": "2"})],
    )
    responses.get(
        f"{MOCK}/repositories/1/issues/7/comments",
        json=[comment(i) for i in range(201, 301)],
        match=[responses.matchers.query_param_matcher({"per_page": "100", "page": "3"})],
    )
    responses.post(COMMENTS, status=201, json=comment(301))
    assert run_pr(config, environ(), client=client()) == 2  # the event's label is stale
    # The pull request and the token's account, three pages of comments, one write.
    assert len(responses.calls) == 5
    assert outputs(repo)["status"] == "unaligned"
    assert "names no outcome" in (repo / "summary.md").read_text()


@responses.activate
def test_without_graphql_the_body_keywords_and_the_store_decide(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    with Store.open(config.store_location) as store:
        store.upsert_items(
            github_query(config),
            [
                item("acme/app#12", source="github", labels=("outcome:fast-results",)),
                item("EDU-5", labels=("outcome:activation",)),
            ],
        )
    error = {"message": "Field 'closingIssuesReferences' doesn't exist on type 'PullRequest'"}
    responses.post(f"{MOCK}/graphql", json={"errors": [error]})
    rest = {
        "number": 7,
        "title": "Grades faster",
        "body": "Closes #12",
        "html_url": "https://github.com/acme/app/pull/7",
        "state": "open",
        "labels": [],
        "user": {"login": "ann-smith"},
        "head": {"ref": "feature/x", "sha": "c" * 40},
        "base": {"ref": "main", "sha": "b" * 40},
    }
    responses.get(f"{MOCK}/repos/acme/app/pulls/7", json=rest)
    responses.get(f"{MOCK}/repos/acme/app/contents/outcomes.toml", status=404, json={})
    # The server's GraphQL fails every query, so the token's account comes from REST.
    responses.get(f"{MOCK}/user", json={"login": "acme-ops", "id": 51, "type": "User"})
    responses.get(COMMENTS, json=[])
    responses.post(COMMENTS, status=201, json=comment(1))
    assert run_pr(config, environ(), client=client()) == 0
    posted = json.loads(responses.calls[-1].request.body or b"")["body"]
    assert "results-in-a-minute" in posted and "closes" in posted


@responses.activate
def test_jira_keys_from_the_store_or_not_checked(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    with Store.open(config.store_location) as store:
        store.upsert_items("jql", [item("EDU-5", labels=("outcome:activation",))])
    node = pull_node(title="EDU-5 grading", headRefName="feature/EDU-6-more")
    responses.post(f"{MOCK}/graphql", json=graphql(node))
    responses.get(COMMENTS, json=[])
    responses.post(COMMENTS, status=201, json=comment(1))
    assert run_pr(config, environ(), client=client()) == 0
    posted = json.loads(responses.calls[-1].request.body or b"")["body"]
    assert "Jira EDU-5" in posted and "activation" in posted
    assert "EDU-6" in posted and "not checked" in posted and "no Jira credentials" in posted


@responses.activate
def test_a_changed_outcomes_file_shows_how_coverage_moves(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    with Store.open(config.store_location) as store:
        store.upsert_items(
            github_query(config),
            [
                item("acme/app#1", source="github", labels=("outcome:activation",)),
                item("acme/app#2", source="github", labels=("outcome:old-reports",)),
            ],
        )
    # The base retired nothing and lacked "activation"; this PR adds it.
    base = textwrap.dedent(OUTCOMES_TOML).replace('id = "activation"', 'id = "onboarding"')
    responses.post(f"{MOCK}/graphql", json=graphql(pull_node(body="Outcome: activation"), base))
    responses.get(COMMENTS, json=[])
    responses.post(COMMENTS, status=201, json=comment(1))
    assert run_pr(config, environ(), client=client()) == 0
    sent = json.loads(responses.calls[0].request.body or b"")["variables"]
    assert sent["base"] == f"{'b' * 40}:outcomes.toml" and sent["withBase"] is True
    posted = json.loads(responses.calls[-1].request.body or b"")["body"]
    assert "This pull request changes `outcomes.toml`" in posted
    assert "Coverage moves from 0.0% to 50.0%" in posted
    assert "Gain alignment (1):" in posted and "acme/app\\#1" not in posted


@responses.activate
def test_a_merge_group_reads_the_pull_request_again_and_writes_nothing(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    payload = {
        "merge_group": {
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + "a" * 40,
            "head_sha": "a" * 40,
            "base_sha": "b" * 40,
        }
    }
    labels = {"nodes": [{"name": "outcome:activation"}]}
    responses.post(f"{MOCK}/graphql", json=graphql(pull_node(labels=labels)))
    assert run_pr(config, environ("merge_group", payload), client=client()) == 0
    assert len(responses.calls) == 1
    assert outputs(repo)["status"] == "aligned"


@responses.activate
def test_a_bot_author_is_exempt_as_rest_names_it(
    environ: Callable[..., dict[str, str]], write_config: Callable[..., Config]
) -> None:
    bot = {"__typename": "Bot", "login": "dependabot"}
    responses.post(f"{MOCK}/graphql", json=graphql(pull_node(author=bot)))
    exempt = write_config(CONFIG + '\n[exempt]\nauthors = ["dependabot[bot]"]\n')
    no_comment = exempt.settings.model_copy(
        update={
            "github": exempt.settings.github.model_copy(
                update={
                    "pull_request": exempt.settings.github.pull_request.model_copy(
                        update={"comment": False}
                    )
                }
            )
        }
    )
    quiet = Config(no_comment, exempt.path, exempt.base_dir)
    env = environ()
    assert run_pr(quiet, env, client=client()) == 0
    assert len(responses.calls) == 1  # comment = false: no comment read or written
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "outcome-free work (exempt)" in summary and "author dependabot\\[bot\\]" in summary


def test_mode_off_skips_without_an_event(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    env = environ()
    del env["GITHUB_EVENT_PATH"]
    assert run_pr(config, env, mode="off") == 0
    assert outputs(repo)["status"] == "skipped"


@responses.activate
def test_a_github_out_of_reach_still_gives_a_summary_and_status_error(
    config: Config, environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    import requests

    responses.post(f"{MOCK}/graphql", body=requests.ConnectionError("connection refused"))
    responses.get(f"{API}/repos/acme/app/pulls/7", body=requests.ConnectionError("refused"))
    with pytest.raises(TiebackError) as raised:
        run_pr(config, environ(), client=client())
    assert "cannot reach GitHub" in str(raised.value)
    assert outputs(repo)["status"] == "error"
    summary = (repo / "summary.md").read_text()
    assert "tieback could not check this pull request: cannot reach GitHub" in summary


@responses.activate
def test_a_closed_issue_keeps_the_project_field_refs_the_store_holds(
    write_config: Callable[..., Config], environ: Callable[..., dict[str, str]], repo: Path
) -> None:
    project = 'repos = ["acme/app"]\nproject = "orgs/acme/projects/5"'
    tagging = '[tagging]\ngithub_project_field = "Outcome"\n'
    config = write_config(CONFIG.replace('repos = ["acme/app"]', project) + tagging)
    # The sync read the issue's Outcome field in the project; the live copy of the issue
    # (no labels, no marker line) cannot say it, as GraphQL's issue has no project field.
    with Store.open(config.store_location) as store:
        store.upsert_items(
            github_query(config),
            [item("acme/app#12", source="github", field_refs=("activation",))],
        )
    issue = {
        "number": 12,
        "title": "First-quiz checklist",
        "body": "",
        "url": "https://github.com/acme/app/issues/12",
        "state": "OPEN",
        "issueType": None,
        "author": {"__typename": "User", "login": "ann-smith"},
        "repository": {"nameWithOwner": "acme/app"},
        "labels": {"nodes": []},
        "parent": None,
    }
    node = pull_node(closingIssuesReferences={"nodes": [issue]})
    responses.post(f"{MOCK}/graphql", json=graphql(node))
    responses.get(COMMENTS, json=[])
    responses.post(COMMENTS, status=201, json=comment(1))
    assert run_pr(config, environ(), client=client()) == 0
    assert outputs(repo)["status"] == "aligned"


def test_a_closed_issue_with_a_note_is_listed_once_as_evidence(
    write_config: Callable[..., Config],
) -> None:
    from tieback.connectors.github.pr.comment import comment_context
    from tieback.outcomes import load_declarations
    from tieback.prcheck import Link, Verdict

    config = write_config("")
    closes = Link("closes", "acme/app#7", "unaligned", note="not synced yet")
    label = Link("label", "outcome:actvation", "unaligned", note="did you mean activation?")
    verdict = Verdict("unaligned", reason="unknown-tag", links=[closes, label])
    pull = item("acme/app#9", source="github", title="A change")
    context = comment_context(config, "warn", pull, verdict, None, None, load_declarations(config))
    assert context["evidence"] == [closes, label]
