"""Typed settings: a TOML file (or ``[tool.tieback]``) overridden by ``TIEBACK_*`` variables.

Precedence, highest first: ``TIEBACK_<SECTION>__<KEY>`` environment variables, then the
file. The file is ``--config PATH``, else ``$TIEBACK_CONFIG``, else ``./tieback.toml``,
else ``[tool.tieback]`` in ``./pyproject.toml``. Relative paths are relative to the
file. Tokens are ``SecretStr``, only come from the environment, and are used without the
whitespace around them.

The environment is read by pydantic-settings' ``EnvSettingsSource`` (nested keys with
``__``, JSON for lists), imported only when a ``TIEBACK_*`` variable is set: importing
it costs more than the rest of an offline audit of a small backlog.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError

from tieback.errors import ConfigError
from tieback.settings import (
    Coverage,
    Exempt,
    Files,
    Metrics,
    Section,
    Settings,
    Store,
    Tagging,
    check_url,
)

if TYPE_CHECKING:
    from tieback.connectors.registry import ConfiguredSettings

# The models are re-exported: the configuration is read here, its shape lives in settings.
__all__ = [
    "Config",
    "ConfigError",
    "Coverage",
    "Exempt",
    "Files",
    "Metrics",
    "Section",
    "Settings",
    "Store",
    "Tagging",
    "check_url",
    "find_config",
    "load_config",
]

ENV_PREFIX = "TIEBACK_"
# Variables that share the prefix but are not settings keys.
_NON_SETTINGS_ENV = {"TIEBACK_CONFIG", "TIEBACK_DEBUG"}
# For a file whose arrays or tables nest deeper than the parser's recursion can follow.
TOO_DEEP = "nested too deeply to read (check for unclosed [ or {)"


def settings_model(names: Iterable[str] = ()) -> type[Settings]:
    """The model a configuration is validated by: the core tables, every built-in
    connector's, and those of the installed connectors among ``names`` (the tables a
    file or the environment names that are not core ones)."""
    from tieback.connectors.registry import settings_model as with_connectors

    return with_connectors(tuple(name for name in names if name not in Settings.model_fields))


def _environment_names() -> list[str]:
    """The ``TIEBACK_*`` variables that may be settings."""
    return [
        name
        for name in os.environ
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in _NON_SETTINGS_ENV
    ]


def _environment_tables() -> list[str]:
    """The tables ``TIEBACK_<SECTION>__<KEY>`` variables name, lower-cased."""
    return [name[len(ENV_PREFIX) :].split("__", 1)[0].lower() for name in _environment_names()]


def _environment_overrides(model: type[Settings], debug: bool = False) -> dict[str, Any]:
    """``TIEBACK_<SECTION>__<KEY>`` values as a nested table, unvalidated."""
    settings_names = []
    for name in _environment_names():
        rest = name[len(ENV_PREFIX) :]
        top = rest.split("__", 1)[0].lower()
        if top in model.model_fields:
            settings_names.append(name)
        elif "__" not in rest:
            # Not shaped like a setting (TIEBACK_VERSION, a CI pin of its own): not ours.
            if debug:
                print(
                    f"tieback: debug: environment variable {name.upper()} is not a setting; "
                    "ignored",
                    file=sys.stderr,
                )
        else:
            # TIEBACK_<SECTION>__<KEY> with a section that does not exist: a typo.
            raise ConfigError(
                f"environment variable {name.upper()}: unknown key {top} (check the "
                "spelling; see config.example.toml)"
            )
    if not settings_names:
        return {}
    for name in settings_names:
        _check_json(model, name)
    from pydantic_settings import EnvSettingsSource

    source = EnvSettingsSource(
        model,  # type: ignore[arg-type]  # a plain model: only its fields are read
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
    )
    return dict(source())


def _check_json(model: type[Settings], name: str) -> None:
    """Raise ConfigError when a variable for a list or table is not that, as JSON.

    pydantic-settings would raise an error naming only the section (or, nested deep
    enough, a RecursionError).
    """
    shape = _json_shape(model, name[len(ENV_PREFIX) :].lower().split("__"))
    if shape is None:
        return
    text = os.environ[name]
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if shape == "object" and not isinstance(value, dict):
        variable = name.upper()
        raise ConfigError(
            f"environment variable {variable}: expected a JSON object, e.g. "
            f"""{variable}='{{"key": "value"}}', or set one key as {variable}__<KEY>"""
        )
    if shape != "object" and not isinstance(value, list):
        raise ConfigError(
            f"environment variable {name.upper()}: expected a JSON list, e.g. "
            f"{name.upper()}='{_list_example(text, tables=shape == 'tables')}'"
        )


def _json_shape(
    settings: type[Settings], keys: list[str]
) -> Literal["list", "tables", "object"] | None:
    """What JSON a variable for the settings key ``keys`` must hold; None for a value."""
    model: type[BaseModel] = settings
    for depth, key in enumerate(keys):
        field = model.model_fields.get(key)
        if field is None:
            return None  # an unknown key: validation names it
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        if depth < len(keys) - 1:
            return None
        if get_origin(annotation) is list:
            (entry,) = get_args(annotation)
            return "tables" if get_origin(entry) is dict else "list"
        return "object" if get_origin(annotation) is dict else None
    return "object"


def _list_example(text: str, tables: bool) -> str:
    """The list the user seems to have meant (``a, b`` → ``["a", "b"]``), if short."""
    if tables:
        return '[{"id": "...", "title": "..."}]'
    entries = [entry.strip(" \t'\"") for entry in text.strip(" \t[]").split(",")]
    example = json.dumps([entry for entry in entries if entry], ensure_ascii=False)
    return example if example != "[]" and len(example) <= 80 else '["first", "second"]'


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value from ``override`` wins."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Config:
    """Validated settings plus where they came from."""

    settings: ConfiguredSettings  # a Settings with each connector's table (settings_model)
    path: Path | None  # the file read; None when no file was found
    base_dir: Path  # relative paths in the file are relative to this

    @property
    def label(self) -> str:
        """How error messages name the configuration."""
        return self.display(self.path) if self.path else "configuration"

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the working directory when inside it."""
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @property
    def outcomes_path(self) -> Path:
        return self.resolve(self.settings.outcomes_file)

    @property
    def store_path(self) -> Path:
        return self.resolve(self.settings.store.path)

    @property
    def store_location(self) -> Path | str:
        """The PostgreSQL URL when ``[store] url`` is set, else the SQLite file."""
        return self.settings.store.url or self.store_path

    @property
    def store_exists(self) -> bool:
        """Whether there is a store to read (a server is assumed to be there)."""
        return bool(self.settings.store.url) or self.store_path.is_file()

    @property
    def file_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.settings.files.paths]

    @property
    def metric_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.settings.metrics.paths]

    def token(self, connector: str) -> SecretStr | None:
        """The token of ``connector``: from ``TIEBACK_<NAME>__TOKEN``, else from the
        variables the connector names (``JIRA_API_TOKEN``)."""
        from tieback.connectors.registry import connector as registered

        setting = getattr(getattr(self.settings, connector), "token", None)
        variable = f"{ENV_PREFIX}{connector.upper()}__TOKEN"
        return _token(setting, variable, registered(connector).token_variables)


def _token(setting: SecretStr | None, variable: str, fallbacks: Iterable[str]) -> SecretStr | None:
    """The token set in ``variable`` (read into the settings), else in ``fallbacks``,
    without the blanks around it: a token pasted with its newline is that token. A
    control character left inside it cannot go in an HTTP header, where requests would
    refuse it with the whole token in its message: refused here, naming the variable."""
    for name, value in (
        (variable, setting.get_secret_value() if setting is not None else ""),
        *((fallback, os.environ.get(fallback, "")) for fallback in fallbacks),
    ):
        if not value.strip():
            continue
        try:
            return SecretStr(clean_token(value))
        except ValueError:
            raise ConfigError(
                f"environment variable {name}: the token has a line break or another "
                f"control character inside it; set {name} to the token alone"
            ) from None
    return None


def clean_token(value: str) -> str:
    """A token without the whitespace around it; ValueError, never showing it, when a
    control (or other unprintable) character is left inside."""
    token = value.strip()
    if not token.isprintable():
        raise ValueError("the token has a control character inside it")
    return token


def find_config(explicit: str | os.PathLike[str] | None, cwd: Path | None = None) -> Path | None:
    """Return the configuration file to read, by the documented precedence."""
    cwd = cwd or Path.cwd()
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (check --config)")
        return path
    from_env = os.environ.get("TIEBACK_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found (check TIEBACK_CONFIG)")
        return path
    for candidate in (cwd / "tieback.toml", cwd / "pyproject.toml"):
        if candidate.is_file():
            if candidate.name == "pyproject.toml" and "tieback" not in _read_toml(candidate).get(
                "tool", {}
            ):
                continue
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: {TOO_DEEP}") from None


def load_config(
    explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None, debug: bool = False
) -> Config:
    """Find, read and validate the configuration; raise ConfigError with one clear line.
    ``debug`` says on stderr which ``TIEBACK_*`` variables were ignored as no setting."""
    cwd = cwd or Path.cwd()
    path = find_config(explicit, cwd)
    data: dict[str, Any] = {}
    if path is not None:
        document = _read_toml(path)
        if path.name == "pyproject.toml" and not explicit:
            data = document.get("tool", {}).get("tieback", {})
        elif path.name == "pyproject.toml" and "tieback" in document.get("tool", {}):
            data = document["tool"]["tieback"]
        else:
            data = document
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.tieback] must be a table")
    model = settings_model([*data, *_environment_tables()])
    _reject_tokens_in_file(model, data, path)
    try:
        settings = model.model_validate(_merge(data, _environment_overrides(model, debug)))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    base_dir = path.resolve().parent if path else cwd.resolve()
    return Config(settings=cast("ConfiguredSettings", settings), path=path, base_dir=base_dir)


def _reject_tokens_in_file(
    model: type[Settings], data: Mapping[str, Any], path: Path | None
) -> None:
    store = data.get("store")
    if isinstance(store, Mapping) and isinstance(store.get("url"), str):
        from urllib.parse import urlsplit

        if urlsplit(store["url"]).password:
            raise ConfigError(
                f"{path}: [store] url: a password never lives in the file; set PGPASSWORD, "
                "or the whole URL in TIEBACK_STORE__URL"
            )
    for section, field in model.model_fields.items():
        annotation = field.annotation
        if section in Settings.model_fields or not (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and "token" in annotation.model_fields
        ):
            continue
        table = data.get(section)
        if isinstance(table, Mapping) and "token" in table:
            env = f"{ENV_PREFIX}{section.upper()}__TOKEN"
            raise ConfigError(
                f"{path}: [{section}] token: secrets never live in the file; "
                f"remove it and set {env} instead"
            )


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line for the first problem: where it is, which key, what is expected."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    key = _key_name(loc)
    where = str(path) if path else "configuration"
    # The value came from the variable for its key or for a table holding it.
    names = [part for part in loc if not part.isdigit()]
    variables = {name.upper() for name in os.environ}
    for depth in range(len(names), 0, -1):
        env_name = ENV_PREFIX + "__".join(names[:depth]).upper()
        if env_name in variables:
            where = f"environment variable {env_name}"
            break
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key {key} (check the spelling; see config.example.toml)"
    if error["type"] == "missing":
        return f"{where}: {key} is required"
    shown = error.get("input")
    # A URL may hold a password: never repeated.
    quiet = isinstance(shown, dict | list) or bool(names and names[-1] in _URL_KEYS)
    got = "" if quiet else f" (got {shown!r})"
    return f"{where}: {key}: {message}{got}"


_URL_KEYS = frozenset({"url", "api_url"})


def _key_name(loc: list[str]) -> str:
    """Render a location as the user wrote it: ``[jira.post_back] comment``."""
    names = [part for part in loc if not part.isdigit()]
    if len(names) <= 1:
        return names[0] if names else "(top level)"
    return f"[{'.'.join(names[:-1])}] {names[-1]}"
