"""The Actions event a pull-request check runs on: which pull request, and which commits."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tieback.errors import TiebackError
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

EVENTS = ("pull_request", "pull_request_target", "merge_group", "workflow_run")
# gh-readonly-queue/main/pr-123-<sha>: the merge queue's branch names the pull request.
_QUEUE_BRANCH = re.compile(r"gh-readonly-queue/.+/pr-(\d+)-[0-9a-f]+$")


@dataclass(frozen=True)
class Event:
    """What the workflow run is about, from ``GITHUB_EVENT_PATH`` and the environment."""

    name: str
    repo: str
    number: int | None
    base_sha: str = ""
    head_sha: str = ""
    # owner:branch of the pull request's head, for a workflow_run without a number
    head_label: str = ""
    fork: bool = False
    # Pull requests a workflow_run names in other repositories ("owner/repo#2").
    elsewhere: tuple[str, ...] = ()

    @property
    def trusted_checkout(self) -> bool:
        """Whether the working copy is the base branch rather than the pull request."""
        return self.name in ("pull_request_target", "workflow_run")

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


def read_event(environ: Mapping[str, str]) -> Event:
    """Read the event payload; raise TiebackError with one line when it is unusable."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise TiebackError(
            "GITHUB_EVENT_PATH is not set: tieback pr runs in a GitHub Actions job on a "
            "pull_request event (or set it to an event payload file)"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TiebackError(f"{path}: cannot read the event file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TiebackError(f"{path}: the event file is not UTF-8 text") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TiebackError(
            f"{path}: the event file is not JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    if not isinstance(payload, dict):
        raise TiebackError(f"{path}: the event file is not a JSON object")
    name = environ.get("GITHUB_EVENT_NAME", "") or _infer_event(payload)
    repo = environ.get("GITHUB_REPOSITORY", "") or _text(
        _mapping(payload.get("repository")).get("full_name")
    )
    if repo.count("/") != 1:
        raise TiebackError("GITHUB_REPOSITORY is not set (expected owner/name)")
    if name in ("pull_request", "pull_request_target"):
        pull = _mapping(payload.get("pull_request"))
        number = pull.get("number")
        if not isinstance(number, int):
            raise TiebackError(f"{path}: a {name} event without pull_request.number")
        base, head = _mapping(pull.get("base")), _mapping(pull.get("head"))
        head_repo = _text(_mapping(head.get("repo")).get("full_name"))
        return Event(
            name,
            repo,
            number,
            base_sha=_text(base.get("sha")),
            head_sha=_text(head.get("sha")),
            fork=head_repo.lower() != repo.lower(),
        )
    if name == "merge_group":
        group = _mapping(payload.get("merge_group"))
        match = _QUEUE_BRANCH.search(_text(group.get("head_ref")))
        return Event(
            name,
            repo,
            int(match[1]) if match else None,
            base_sha=_text(group.get("base_sha")),
            head_sha=_text(group.get("head_sha")),
        )
    if name == "workflow_run":
        run = _mapping(payload.get("workflow_run"))
        pulls = [p for p in run.get("pull_requests") or [] if isinstance(p, dict)]
        repository = _mapping(payload.get("repository"))
        same = _text(repository.get("full_name")).lower() in ("", repo.lower())
        repo_id = repository.get("id") if same else None
        ours = [p for p in pulls if _based_in(p, repo, repo_id)]
        numbers = {p.get("number") for p in ours if isinstance(p.get("number"), int)}
        owner = _text(_mapping(_mapping(run.get("head_repository")).get("owner")).get("login"))
        branch = _text(run.get("head_branch"))
        return Event(
            name,
            repo,
            numbers.pop() if len(numbers) == 1 else None,
            head_sha=_text(run.get("head_sha")),
            head_label=f"{owner}:{branch}" if owner and branch else "",
            elsewhere=tuple(_pull_name(p) for p in pulls if p not in ours),
        )
    raise TiebackError(
        f"tieback pr checks {', '.join(EVENTS)} events, not {name or 'this one'} "
        "(see the on: triggers in docs/github.md)"
    )


def _based_in(pull: Mapping[str, Any], repo: str, repo_id: object) -> bool:
    """Whether a workflow_run's pull request is into ``repo``: its base repository's id,
    else its API URL (the payload gives no full name there), names it."""
    base = _mapping(_mapping(pull.get("base")).get("repo"))
    ident = base.get("id")
    if isinstance(ident, int) and isinstance(repo_id, int):
        return ident == repo_id
    url = _text(base.get("url")).rstrip("/").lower()
    if url:
        return url.endswith(f"/repos/{repo.lower()}")
    return _text(base.get("full_name")).lower() == repo.lower()


def _pull_name(pull: Mapping[str, Any]) -> str:
    """``owner/repo#2`` for a workflow_run's pull request, from its API URL."""
    match = re.search(r"/repos/([^/]+/[^/]+)/pulls/(\d+)$", _text(pull.get("url")))
    if match:
        return f"{match[1]}#{match[2]}"
    name = _text(_mapping(_mapping(pull.get("base")).get("repo")).get("name")) or "?"
    return f"{name}#{pull.get('number')}"


def _infer_event(payload: Mapping[str, Any]) -> str:
    for name in ("merge_group", "workflow_run", "pull_request"):
        if name in payload:
            return name
    return ""
