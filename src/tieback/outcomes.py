"""Loading and linting outcome declarations (``outcomes.toml`` and inline tables)."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tieback.config import TOO_DEEP, Config
from tieback.errors import ConfigError

# Re-exported: the declarations are values of the model, which the core reads
# without this loader (and pydantic).
from tieback.model import Declarations as Declarations
from tieback.model import Focus, Impact, Kind, Outcome, OutcomeStatus
from tieback.model import active_by_team as active_by_team
from tieback.model import focus_warnings as focus_warnings

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
T = TypeVar("T")


class _ImpactDecl(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    metric: str = ""
    baseline: str | int | float = ""
    target: str | int | float = ""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)


class _OutcomeDecl(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    impact: str | None = None
    kind: Literal["product", "business"] = "product"
    focus: Literal["performance", "learning"] = "performance"
    metric: str = ""
    baseline: str | int | float = ""
    target: str | int | float = ""
    team: str = ""
    status: Literal["active", "retired"] = "active"
    aliases: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)

    @field_validator("aliases")
    @classmethod
    def _alias_slugs(cls, values: list[str]) -> list[str]:
        # An alias is an old id, perhaps from before ids had to be lower case: any case.
        return [_check_slug(value, any_case=True) for value in values]


def _check_slug(value: str, any_case: bool = False) -> str:
    if not SLUG.match(value.lower() if any_case else value):
        hint = f"; e.g. {value.lower()!r}" if SLUG.match(value.lower()) else ""
        raise ValueError(
            f"{value!r} is not a slug (lower-case letters, digits and '-', starting with "
            f"a letter or digit{hint})"
        )
    return value


def load_declarations(config: Config, errors: list[str] | None = None) -> Declarations:
    """Read the outcomes file and inline declarations; raise ConfigError naming the entry.

    With ``errors``, an entry in error is one line there and is left out, and reading
    goes on, so that ``lint`` shows every error of a file in one run; a file that
    cannot be read at all still raises.
    """

    def kept(make: Callable[[], T]) -> T | None:
        if errors is None:
            return make()
        try:
            return make()
        except ConfigError as exc:
            errors.append(str(exc))
            return None

    settings = config.settings
    path = config.outcomes_path
    shown = config.display(path)
    impacts_raw: list[tuple[str, int, Any]] = []
    outcomes_raw: list[tuple[str, int, Any]] = []
    lines: dict[str, int] = {}
    origins: list[str] = []

    inline = bool(settings.impacts or settings.outcomes)
    file_named = "outcomes_file" in settings.model_fields_set
    if path.is_file():
        document, text = _read(path, shown)
        unknown = sorted(set(document) - {"impacts", "outcomes"})
        if unknown:
            raise ConfigError(
                f"{shown}: unknown key {unknown[0]} (an outcomes file holds [[impacts]] "
                "and [[outcomes]] tables)"
            )
        for section, bucket in (("impacts", impacts_raw), ("outcomes", outcomes_raw)):
            entries = document.get(section, [])
            if not isinstance(entries, list):
                raise ConfigError(f"{shown}: {section} must be an array of tables [[{section}]]")
            bucket.extend((shown, i, entry) for i, entry in enumerate(entries))
        lines.update(_id_lines(text))
        origins.append(shown)
    elif file_named or not inline:
        raise ConfigError(
            f"{shown}: outcomes file not found (check outcomes_file in {config.label}, "
            "or run 'tieback init' to write a starter)"
        )
    if inline:
        impacts_raw.extend((config.label, i, e) for i, e in enumerate(settings.impacts))
        outcomes_raw.extend((config.label, i, e) for i, e in enumerate(settings.outcomes))
        origins.append(config.label)

    impacts = [
        impact
        for where, i, entry in impacts_raw
        if (impact := kept(functools.partial(_impact, where, i, entry))) is not None
    ]
    read = [
        (raw, outcome)
        for raw in outcomes_raw
        if (outcome := kept(functools.partial(_outcome, *raw))) is not None
    ]
    outcomes_raw = [raw for raw, _ in read]
    outcomes = [outcome for _, outcome in read]
    _check_unique(impacts, outcomes, outcomes_raw, errors)
    known_impacts = {impact.id.lower() for impact in impacts}
    for (where, i, _), outcome in zip(outcomes_raw, outcomes, strict=True):
        if outcome.impact is not None and outcome.impact.lower() not in known_impacts:
            declared = ", ".join(sorted(known_impacts)) or "none"
            message = (
                f"{where}: outcomes[{i}] ({outcome.id}): impact {outcome.impact!r} is not "
                f"a declared impact (declared: {declared})"
            )
            if errors is None:
                raise ConfigError(message)
            errors.append(message)
    return Declarations(
        impacts=tuple(impacts),
        outcomes=tuple(outcomes),
        origin=" + ".join(origins),
        lines=lines,
    )


def _read(path: Path, shown: str) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not valid TOML: the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: not valid TOML: {TOO_DEEP}") from None


def _id_lines(text: str) -> dict[str, int]:
    """Line numbers of ``id = "..."`` so lint can point at the entry."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"""\s*id\s*=\s*["']([^"']+)["']""", line)
        if match:
            found.setdefault(match.group(1).lower(), number)
    return found


def _entry_name(section: str, index: int, entry: Any) -> str:
    if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
        return f"{section}[{index}] ({entry['id']})"
    return f"{section}[{index}]"


def _validate(model: type[BaseModel], where: str, name: str, entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: {name}: must be a table")
    try:
        return model.model_validate(dict(entry))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "(entry)"
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(model.model_fields)
            raise ConfigError(f"{where}: {name}: unknown key {key} (allowed: {allowed})") from None
        if error["type"] == "missing":
            raise ConfigError(f"{where}: {name}: {key} is required") from None
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: {name}: {key}: {message}") from None


def _impact(where: str, index: int, entry: Any) -> Impact:
    decl: _ImpactDecl = _validate(_ImpactDecl, where, _entry_name("impacts", index, entry), entry)
    return Impact(
        id=decl.id,
        title=decl.title,
        metric=decl.metric,
        baseline=str(decl.baseline),
        target=str(decl.target),
    )


def _outcome(where: str, index: int, entry: Any) -> Outcome:
    name = _entry_name("outcomes", index, entry)
    decl: _OutcomeDecl = _validate(_OutcomeDecl, where, name, entry)
    return Outcome(
        id=decl.id,
        title=decl.title,
        impact=decl.impact,
        kind=Kind(decl.kind),
        focus=Focus(decl.focus),
        metric=decl.metric,
        baseline=str(decl.baseline),
        target=str(decl.target),
        team=decl.team,
        status=OutcomeStatus(decl.status),
        aliases=tuple(decl.aliases),
    )


def _check_unique(
    impacts: list[Impact],
    outcomes: list[Outcome],
    raw: list[tuple[str, int, Any]],
    errors: list[str] | None = None,
) -> None:
    """Raise on the first id or alias used twice, or with ``errors``, list every one."""
    found: list[str] = []
    seen_impacts: set[str] = set()
    for impact in impacts:
        if impact.id.lower() in seen_impacts:
            found.append(f"duplicate impact id {impact.id!r}: impact ids must be unique")
        seen_impacts.add(impact.id.lower())
    owner: dict[str, str] = {}
    for (where, index, _), outcome in zip(raw, outcomes, strict=True):
        for name, what in [(outcome.id, "id"), *((a, "alias") for a in outcome.aliases)]:
            previous = owner.get(name.lower())
            if previous is not None:
                found.append(
                    f"{where}: outcomes[{index}] ({outcome.id}): {what} {name!r} is already "
                    f"used by outcome {previous!r} (ids and aliases are unique across all "
                    "outcomes, ignoring case)"
                )
            owner[name.lower()] = outcome.id
    if found and errors is None:
        raise ConfigError(found[0])
    if errors is not None:
        errors.extend(found)


# --- lint ------------------------------------------------------------------------------

# Verbs that describe delivering an artifact rather than a change in behaviour.
OUTPUT_VERBS = frozenset(
    [
        "launch",
        "build",
        "ship",
        "implement",
        "add",
        "migrate",
        "create",
        "release",
        "deliver",
        "develop",
        "integrate",
        "deploy",
        "rewrite",
        "refactor",
        "redesign",
        "introduce",
        "roll",
        "finish",
        "complete",
        "make",
        "upgrade",
        "replace",
        "port",
        "write",
        "set",
    ]
)
_TRACTION = re.compile(
    r"\b(usage|uses|clicks?|views?|opens?|adoption)\b.*\b(feature|button|page|dashboard|"
    r"screen|tab|widget|menu)\b|\b(feature|button|page|dashboard|screen|tab|widget|menu)\b"
    r".*\b(usage|uses|clicks?|views?|opens?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint result: a rule, where, and what to do about it."""

    rule: str
    message: str
    subject: str  # the outcome or impact id, or a config key
    line: int | None = None


def lint(declarations: Declarations) -> list[Finding]:
    """Warnings for the common mistakes of outcome-driven teams."""
    findings: list[Finding] = []

    def add(rule: str, subject: str, message: str) -> None:
        findings.append(Finding(rule, message, subject, declarations.lines.get(subject.lower())))

    if not declarations.outcomes:
        # Nothing to align to: every item would be unaligned, which reads as a backlog
        # problem rather than the empty declarations it is.
        findings.append(
            Finding(
                "no-outcomes",
                "no outcomes are declared; add one as an [[outcomes]] table with an id and "
                "a title ('tieback init --dir DIR' writes a starter to copy from)",
                "outcomes",
            )
        )
    for outcome in declarations.outcomes:
        if not outcome.active:
            continue
        words = re.findall(r"[A-Za-z]+", outcome.title)
        if words and words[0].lower() in OUTPUT_VERBS:
            add(
                "output-as-outcome",
                outcome.id,
                f"outcome {outcome.id!r}: title {outcome.title!r} reads like an output "
                f"(starts with {words[0]!r}); state the change in customer or business "
                "behaviour it should cause",
            )
        if outcome.focus is Focus.PERFORMANCE and not (outcome.metric and outcome.target):
            missing = " and ".join(
                n for n, v in (("metric", outcome.metric), ("target", outcome.target)) if not v
            )
            add(
                "unmeasurable",
                outcome.id,
                f"outcome {outcome.id!r}: a performance outcome needs a {missing} to be measurable",
            )
        if outcome.impact is None:
            add(
                "no-impact",
                outcome.id,
                f"outcome {outcome.id!r}: names no impact; say which company-level result "
                "it drives",
            )
        if outcome.metric and _TRACTION.search(outcome.metric):
            add(
                "traction-metric",
                outcome.id,
                f"outcome {outcome.id!r}: metric {outcome.metric!r} counts use of one "
                "feature (a traction metric); prefer a change in customer behaviour",
            )
    for team, ids in sorted(active_by_team(declarations.outcomes).items()):
        if len(ids) > 1:
            add(
                "focus",
                ids[0],
                f"team {team} has {len(ids)} active outcomes ({', '.join(ids)}); one team "
                "should work on one active outcome at a time",
            )
    used = {o.impact.lower() for o in declarations.outcomes if o.impact}
    for impact in declarations.impacts:
        if impact.id.lower() not in used:
            add("empty-impact", impact.id, f"impact {impact.id!r}: no outcome drives it")
        if impact.id.lower() in declarations.index:
            add(
                "shared-id",
                impact.id,
                f"impact {impact.id!r} has the id of an outcome (or an alias): a metric "
                "reading of it counts for the outcome alone; give the impact an id of its own",
            )
    return findings
