"""Settings: discovery order, environment overrides, secrets and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tieback.config import load_config
from tieback.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TIEBACK_CONFIG", "JIRA_API_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", "[tool.tieback.coverage]\nfail_under = 10\n")
    assert load_config(cwd=tmp_path).settings.coverage.fail_under == 10
    write(tmp_path / "tieback.toml", "[coverage]\nfail_under = 20\n")
    assert load_config(cwd=tmp_path).settings.coverage.fail_under == 20
    other = write(tmp_path / "other.toml", "[coverage]\nfail_under = 30\n")
    monkeypatch.setenv("TIEBACK_CONFIG", str(other))
    assert load_config(cwd=tmp_path).settings.coverage.fail_under == 30
    explicit = write(tmp_path / "explicit.toml", "[coverage]\nfail_under = 40\n")
    assert load_config(explicit, cwd=tmp_path).settings.coverage.fail_under == 40


def test_pyproject_without_tieback_table_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    config = load_config(cwd=tmp_path)
    assert config.path is None


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "tieback.toml", "[coverage]\nfail_under = 20\n[github]\nrepos = []\n")
    monkeypatch.setenv("TIEBACK_COVERAGE__FAIL_UNDER", "80")
    monkeypatch.setenv("TIEBACK_GITHUB__REPOS", '["acme/app"]')
    monkeypatch.setenv("TIEBACK_TAGGING__INHERIT", "false")
    settings = load_config(path).settings
    assert settings.coverage.fail_under == 80
    assert settings.github.repos == ["acme/app"]
    assert settings.tagging.inherit is False


def test_relative_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    path = write(sub / "tieback.toml", 'outcomes_file = "o.toml"\n[files]\npaths = ["a.json"]\n')
    config = load_config(path, cwd=tmp_path)
    assert config.outcomes_path == sub.resolve() / "o.toml"
    assert config.file_paths == [sub.resolve() / "a.json"]
    assert config.store_path == sub.resolve() / ".tieback/tieback.db"


def test_metrics_paths_are_relative_to_the_config_and_the_environment_overrides_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    path = write(sub / "tieback.toml", '[metrics]\npaths = ["m.csv", "/data/all.csv"]\n')
    config = load_config(path, cwd=tmp_path)
    assert config.metric_paths == [sub.resolve() / "m.csv", Path("/data/all.csv")]
    assert config.settings.metrics.stale_after_days == 30
    monkeypatch.setenv("TIEBACK_METRICS__PATHS", '["other.csv"]')
    monkeypatch.setenv("TIEBACK_METRICS__STALE_AFTER_DAYS", "7")
    config = load_config(path, cwd=tmp_path)
    assert config.metric_paths == [sub.resolve() / "other.csv"]
    assert config.settings.metrics.stale_after_days == 7


@pytest.mark.parametrize(
    ("text", "variable", "message"),
    [
        ("[metrics]\nstale_after_days = 0\n", None, "[metrics] stale_after_days: Input should be"),
        ("[metrics]\npath = []\n", None, "unknown key [metrics] path"),
        ("", "metrics.csv", "environment variable TIEBACK_METRICS__PATHS: expected a JSON list"),
    ],
)
def test_bad_metrics_settings_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, variable: str | None, message: str
) -> None:
    path = write(tmp_path / "tieback.toml", text)
    if variable is not None:
        monkeypatch.setenv("TIEBACK_METRICS__PATHS", variable)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert message in str(raised.value)


def test_tokens_come_from_the_environment_and_never_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "tieback.toml", "")
    monkeypatch.setenv("JIRA_API_TOKEN", "jira-secret-123")
    monkeypatch.setenv("TIEBACK_GITHUB__TOKEN", "ghp_secret456")
    config = load_config(path)
    jira, github = config.token("jira"), config.token("github")
    assert jira is not None
    assert jira.get_secret_value() == "jira-secret-123"
    assert github is not None
    assert github.get_secret_value() == "ghp_secret456"
    shown = repr(config) + str(config.settings) + config.settings.model_dump_json()
    assert "secret" not in shown


def test_token_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "tieback.toml", '[jira]\ntoken = "abc123"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "TIEBACK_JIRA__TOKEN" in str(raised.value)
    assert "abc123" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[coverge]\nweight = 'count'\n", "tieback.toml: unknown key coverge"),
        ("[jira.post_back]\ncoment = true\n", "unknown key [jira.post_back] coment"),
        ("[coverage]\nweight = 'pts'\n", "[coverage] weight: Input should be 'count' or 'points'"),
        ("[coverage]\nfail_under = 150\n", "[coverage] fail_under: Input should be less than"),
        ("[github]\nrepos = ['nope']\n", "'nope' is not of the form owner/name"),
        ('[tagging]\nbody_marker = "Outcome:\\n"\n', "body_marker: expected the start of one line"),
        ("[coverage\n", "tieback.toml: not valid TOML"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "tieback.toml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_bad_environment_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "tieback.toml", "")
    monkeypatch.setenv("TIEBACK_COVERAGE__SCOPE", "some")
    with pytest.raises(ConfigError, match="environment variable TIEBACK_COVERAGE__SCOPE"):
        load_config(path)


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        load_config(tmp_path / "nope.toml")


def test_store_url_must_be_postgresql_and_keep_its_password_out(tmp_path: Path) -> None:
    path = write(tmp_path / "tieback.toml", '[store]\nurl = "mysql://x/y"\n')
    with pytest.raises(ConfigError, match=r"\[store\] url: expected a postgresql://"):
        load_config(path)
    write(path, '[store]\nurl = "postgresql://ci:pw-in-file@db/tieback"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "PGPASSWORD" in str(raised.value) and "pw-in-file" not in str(raised.value)
    write(path, '[store]\nurl = "postgresql://ci@db/tieback"\n')
    config = load_config(path)
    assert config.store_location == "postgresql://ci@db/tieback"
    assert config.store_exists


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("TIEBACK_COVERAGE__FAILUNDER", "unknown key [coverage] failunder"),
        ("TIEBACK_COVERGE__FAIL_UNDER", "unknown key coverge"),
    ],
)
def test_unknown_environment_keys_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str
) -> None:
    path = write(tmp_path / "tieback.toml", "")
    monkeypatch.setenv(name, "80")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert f"environment variable {name}" in str(raised.value)
    assert message in str(raised.value)


def test_tieback_config_and_debug_are_not_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "tieback.toml", "")
    monkeypatch.setenv("TIEBACK_DEBUG", "1")
    assert load_config(path).settings.coverage.fail_under == 0


def test_a_variable_not_shaped_like_a_setting_is_ignored_with_a_debug_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "tieback.toml", "")
    monkeypatch.setenv("TIEBACK_VERSION", "0.1.0")  # a CI job's own pin
    assert load_config(path).settings.coverage.fail_under == 0
    assert capsys.readouterr().err == ""
    load_config(path, debug=True)
    assert capsys.readouterr().err == (
        "tieback: debug: environment variable TIEBACK_VERSION is not a setting; ignored\n"
    )
