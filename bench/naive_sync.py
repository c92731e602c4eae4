"""The baseline for the sync benchmarks: every issue read through the usual client library.

For GitHub, PyGithub's ``get_repo(r).get_issues(state="all")`` iterated fully (its
default page size of 30), keeping each issue's number, title and label names. Its
default throttle is switched off: with it, no page could come faster than every
0.25 s. Lazy: the repository object is built without ``GET /repos/{r}``.

For Jira, the ``jira`` library's ``search_issues(jql, maxResults=False)`` with its
default fields (``*all``), signed in with an email and an API token (Cloud) or a
personal access token (Data Center, no email).

It prints the number of issues read as one line of JSON: no store, no report.

    GITHUB_TOKEN=... python bench/naive_sync.py github --url URL --repo OWNER/NAME [--since ISO8601]
    JIRA_API_TOKEN=... python bench/naive_sync.py jira --url URL --jql JQL [--email EMAIL]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

# Run as a script, bench/ comes first on the path, and bench/github.py would hide
# PyGithub (``import github``).
BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]


def github_issues(url: str, repo: str, since: str | None) -> int:
    from github import Auth, Github

    client = Github(
        base_url=url,
        auth=Auth.Token(os.environ["GITHUB_TOKEN"]),
        seconds_between_requests=None,
        lazy=True,
    )
    filters: dict[str, Any] = {}
    if since:
        filters["since"] = datetime.fromisoformat(since)
    issues = [
        (issue.number, issue.title, [label.name for label in issue.labels])
        for issue in client.get_repo(repo).get_issues(state="all", **filters)
    ]
    return len(issues)


def jira_issues(url: str, jql: str, email: str | None) -> int:
    from jira import JIRA

    token = os.environ["JIRA_API_TOKEN"]
    if email:
        client = JIRA(server=url, basic_auth=(email, token))
    else:  # a Data Center personal access token
        client = JIRA(server=url, token_auth=token)
    issues = client.search_issues(jql, maxResults=False)
    client.close()
    return len(issues)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    trackers = parser.add_subparsers(dest="tracker", required=True)
    github = trackers.add_parser("github", help="PyGithub's get_issues(state='all')")
    github.add_argument("--url", required=True, help="the API's base URL")
    github.add_argument("--repo", required=True, help="OWNER/NAME")
    github.add_argument("--since", help="only issues updated at or after (ISO 8601)")
    jira = trackers.add_parser("jira", help="the jira library's search_issues")
    jira.add_argument("--url", required=True, help="the site's URL")
    jira.add_argument("--jql", required=True)
    jira.add_argument("--email", help="Cloud: the account's email (none: a personal token)")
    args = parser.parse_args(argv)
    if args.tracker == "github":
        count = github_issues(args.url, args.repo, args.since)
    else:
        count = jira_issues(args.url, args.jql, args.email)
    print(json.dumps({"issues": count}))


if __name__ == "__main__":
    main()
