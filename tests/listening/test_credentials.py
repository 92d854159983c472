"""Job secrets: resolved by reference from the environment or a secrets file, never shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listening.credentials import CredentialResolver, CredentialsError, env_name

SECRET = "s3cr3t-value-9d8e"


def test_environment_variables_are_named_after_the_reference_and_the_credential() -> None:
    assert env_name("brand-x", "bearer_token") == "UGC_CRED_BRAND_X_BEARER_TOKEN"

    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_X_BEARER_TOKEN": SECRET})

    assert resolver.resolve("brand-x", ["bearer_token", "other"]) == {"bearer_token": SECRET}
    assert resolver.resolve("brand-y", ["bearer_token"]) == {}
    assert resolver.resolve(None, ["bearer_token"]) == {}


def test_a_json_secrets_file_maps_references_to_their_values(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"brand": {"api_key": SECRET, "unused": "x"}}))

    resolver = CredentialResolver(secrets_file=path)

    assert resolver.resolve("brand", ["api_key"]) == {"api_key": SECRET}
    assert resolver.resolve("BRAND", ["api_key"]) == {"api_key": SECRET}


def test_a_toml_secrets_file_works_too_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(f'[brand]\napi_key = "{SECRET}"\naccess_token = "from-file"\n')

    resolver = CredentialResolver(
        environ={"UGC_CRED_BRAND_ACCESS_TOKEN": "from-env"}, secrets_file=path
    )

    assert resolver.resolve("brand", ["api_key", "access_token"]) == {
        "api_key": SECRET,
        "access_token": "from-env",
    }


def test_a_directory_of_secret_files_works_like_docker_secrets(tmp_path: Path) -> None:
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "api_key").write_text(SECRET + "\n")
    (tmp_path / "other_api_key").write_text("flat\n")

    resolver = CredentialResolver(secrets_file=tmp_path)

    assert resolver.resolve("brand", ["api_key"]) == {"api_key": SECRET}
    assert resolver.resolve("other", ["api_key"]) == {"api_key": "flat"}
    assert resolver.resolve("../brand", ["api_key"]) == {}


def test_blank_values_count_as_unset() -> None:
    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_API_KEY": "  "})

    assert resolver.status("brand", ["api_key"]).missing == ("api_key",)


def test_status_names_what_is_set_and_missing_without_any_value() -> None:
    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_API_KEY": SECRET})

    status = resolver.status("brand", ["api_key", "bearer_token"], ["access_token"])

    assert status.set == ("api_key",)
    assert status.missing == ("bearer_token",)
    assert SECRET not in repr(status)


def test_the_resolver_keeps_no_other_variable_and_shows_no_secret() -> None:
    resolver = CredentialResolver(
        environ={"UGC_CRED_BRAND_API_KEY": SECRET, "AWS_SECRET_ACCESS_KEY": "unrelated"}
    )

    assert SECRET not in repr(resolver)
    assert set(resolver.environ) == {"UGC_CRED_BRAND_API_KEY"}


@pytest.mark.parametrize(
    ("name", "content"),
    [("secrets.json", '{"brand": {"api_key": "' + SECRET + '"'), ("secrets.toml", SECRET)],
)
def test_an_unreadable_secrets_file_is_an_error_that_quotes_none_of_it(
    tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    resolver = CredentialResolver(secrets_file=path)

    with pytest.raises(CredentialsError) as error:
        resolver.resolve("brand", ["api_key"])
    assert str(path) in str(error.value)
    assert SECRET not in str(error.value)
    # Listing jobs goes on: everything the file would give is reported missing.
    assert resolver.status("brand", ["api_key"]).missing == ("api_key",)
