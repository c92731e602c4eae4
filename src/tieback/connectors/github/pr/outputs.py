"""What a check leaves for the workflow: the job summary, the step outputs, the report file."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tieback.connectors.github.pr.comment import STICKY_MARKER, Sticky
from tieback.errors import TiebackError
from tieback.prcheck import Backlog, Verdict


@dataclass
class PrResult:
    """What ``run_pr`` decided, for the job summary, outputs and the report file."""

    status: str
    pull_request: str = ""
    verdict: Verdict | None = None
    backlog: Backlog | None = None
    comment: Sticky | None = None
    body: str = ""
    notes: list[str] = field(default_factory=list)


def finish(environ: Mapping[str, str], result: PrResult) -> None:
    """Always: the job summary and the step outputs, when the runner provides them."""
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        text = result.body.replace(STICKY_MARKER, "").strip() or "tieback pr: skipped"
        if result.comment is not None:
            text += f"\n\n_Sticky comment: {result.comment.action}._"
        for note in result.notes:
            text += f"\n\n> [!WARNING]\n> {note}" if "token" in note else f"\n\n{note}"
        _append(summary, text + "\n")
    report_path = _write_report(environ, result)
    output = environ.get("GITHUB_OUTPUT")
    if output:
        backlog = result.backlog
        values = {
            "status": result.status,
            "coverage": backlog.coverage if backlog else "n/a",
            "aligned": _number(backlog.aligned) if backlog else "0",
            "unaligned": _number(backlog.unaligned) if backlog else "0",
            "total": str(backlog.items) if backlog else "0",
            "report": report_path,
        }
        _append(output, "".join(f"{name}={value}\n" for name, value in values.items()))


def _write_report(environ: Mapping[str, str], result: PrResult) -> str:
    directory = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    path = directory / "tieback-pr-report.json"
    document = {
        "schema": "tieback.pr/1",
        "status": result.status,
        "pull_request": result.pull_request,
        "verdict": asdict(result.verdict) if result.verdict else None,
        "backlog": asdict(result.backlog) if result.backlog else None,
        "comment": asdict(result.comment) if result.comment else None,
        "notes": result.notes,
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise TiebackError(f"{path}: cannot write the report: {exc.strerror or exc}") from None
    return str(path)


def _append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise TiebackError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _number(value: float) -> str:
    """A weight with every digit it has: an output is read by scripts, not rounded."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def annotation(level: str, message: str) -> str:
    """A workflow command that shows ``message`` as an annotation (``warning``, ``error``)."""
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{level} title=tieback::{escaped}"
