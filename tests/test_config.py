"""Settings come from defaults, the TOML file, REVBRIDGE_* variables and flags, in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from revbridge.config import SECRET_MARK, load_settings, mask_url
from revbridge.errors import ValidationError


def test_defaults_use_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.database_url == "sqlite:///revbridge.db"
    assert settings.port == 8080 and settings.source == ("defaults",)


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    (tmp_path / "revbridge.toml").write_text('[revbridge]\nport = 9000\nlog_level = "debug"\nhost = "0.0.0.0"\n'
                                             '[revbridge.secrets]\nodoo_key = "s3cret"\n')
    settings = load_settings(env={"REVBRIDGE_PORT": "9100"}, overrides={"host": "127.0.0.2"}, cwd=tmp_path)
    assert (settings.port, settings.log_level, settings.host) == (9100, "DEBUG", "127.0.0.2")
    assert settings.secrets == {"odoo_key": "s3cret"}
    assert settings.source == ("defaults", str(tmp_path / "revbridge.toml"), "environment", "command line")


def test_secrets_and_database_passwords_are_masked(tmp_path: Path) -> None:
    settings = load_settings(
        env={"REVBRIDGE_SECRET_STRIPE_KEY": "sk_live_x", "REVBRIDGE_DATABASE_URL": "postgresql://rb:pw@db/rb"},
        cwd=tmp_path,
    )
    shown = settings.masked()
    assert shown["secrets"] == {"stripe_key": SECRET_MARK}
    assert shown["database_url"] == f"postgresql://rb:{SECRET_MARK}@db/rb"
    assert "sk_live_x" not in str(shown) and "pw@" not in str(shown)


def test_mask_url_leaves_urls_without_passwords() -> None:
    assert mask_url("sqlite:///revbridge.db") == "sqlite:///revbridge.db"
    assert mask_url("postgresql://rb@db/rb") == "postgresql://rb@db/rb"


@pytest.mark.parametrize(
    ("env", "field"),
    [({"REVBRIDGE_PORT": "http"}, "port"), ({"REVBRIDGE_PORT": "70000"}, "port"), ({"REVBRIDGE_LOG_LEVEL": "loud"}, "log_level")],
)
def test_bad_values_are_refused_by_name(tmp_path: Path, env: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        load_settings(env=env, cwd=tmp_path)
    assert err.value.problems[0].field == field


def test_unknown_option_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "revbridge.toml").write_text("[revbridge]\nprot = 1\n")
    with pytest.raises(ValidationError, match="prot: unknown option"):
        load_settings(env={}, cwd=tmp_path)
