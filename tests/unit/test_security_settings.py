"""Security settings: secrets from files, validation, no secret in any printout or log, and
one code path (stream.security) for both the aiokafka clients and Faust."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka.errors import SaslAuthenticationFailed
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from stream.app.app import broker_credentials, create_service
from stream.errors import ConfigError
from stream.kafka import client_kwargs
from stream.security import client_security, describe_failure, explain_connect_failure
from stream.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "s3cr3t-Pa55word-\u00e9"  # non-ASCII: also checks its escaped bytes form
KEY_PASSWORD = "key-pa55-d0nt-print"


@pytest.fixture(autouse=True)
def _no_stream_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: start every test from a clean one."""
    import os

    for name in list(os.environ):
        if name.startswith("STREAM_"):
            monkeypatch.delenv(name)


def sasl(**extra: Any) -> Settings:
    values: dict[str, Any] = {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                              "sasl_username": "alice", "sasl_password": PASSWORD}
    return Settings(**{**values, **extra})


# ----------------------------------------------------------------------- certificates

@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate with an encrypted key (openssl CLI; the cryptography
    package is not a dependency)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not found")
    out = tmp_path_factory.mktemp("pki")
    (out / "key-password").write_text(KEY_PASSWORD + "\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-keyout", "key.pem", "-out", "cert.pem",
                    "-days", "1", "-subj", "/CN=unit", "-passout", "file:key-password"],
                   cwd=out, check=True, capture_output=True)
    return out


def mtls(pki: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {"security_protocol": "SSL", "ssl_cafile": pki / "cert.pem",
                              "ssl_certfile": pki / "cert.pem", "ssl_keyfile": pki / "key.pem",
                              "ssl_key_password_file": pki / "key-password"}
    return Settings(**{**values, **extra})


# ------------------------------------------------------------------ secrets stay secret

def test_secrets_never_appear_in_repr_str_or_json(pki: Path) -> None:
    for settings in (sasl(), mtls(pki), sasl(ssl_key_password=KEY_PASSWORD, ssl_cafile=None)):
        for text in (repr(settings), str(settings), settings.model_dump_json()):
            assert PASSWORD not in text and KEY_PASSWORD not in text
    assert sasl().sasl_password is not None
    assert sasl().sasl_password.get_secret_value() == PASSWORD


def test_client_security_repr_hides_the_password() -> None:
    assert PASSWORD not in repr(client_security(sasl()))
    assert PASSWORD not in repr(broker_credentials(sasl()))


def test_password_handed_to_aiokafka_is_redacted_from_its_debug_log(
        caplog: pytest.LogCaptureFixture) -> None:
    """aiokafka logs each request at DEBUG, SASL PLAIN's auth bytes (with the password) too."""
    client_kwargs(sasl(sasl_mechanism="PLAIN"))
    auth_bytes = b"\x00alice\x00alice\x00" + PASSWORD.encode()
    with caplog.at_level(logging.DEBUG, logger="aiokafka"):
        logging.getLogger("aiokafka.conn").debug("Request %d: %s", 7, auth_bytes)
        logging.getLogger("aiokafka.conn").debug("plain %s", PASSWORD)
    assert "Request 7" in caplog.text and "**********" in caplog.text
    assert PASSWORD not in caplog.text
    assert repr(PASSWORD.encode())[2:-1] not in caplog.text


# ---------------------------------------------------------------------- secret files

def test_password_file_is_read_once_without_its_newline(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("STREAM_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("STREAM_SASL_USERNAME", "alice")
    monkeypatch.setenv("STREAM_SASL_PASSWORD_FILE", str(secret))
    settings = load_settings()
    secret.write_text("changed later")
    assert settings.sasl_password is not None
    assert settings.sasl_password.get_secret_value() == PASSWORD
    assert client_kwargs(settings)["sasl_plain_password"] == PASSWORD


def test_key_password_file_decrypts_the_client_key(pki: Path) -> None:
    settings = mtls(pki)
    assert settings.ssl_key_password is not None
    assert settings.ssl_key_password.get_secret_value() == KEY_PASSWORD
    assert isinstance(client_kwargs(settings)["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize(("content", "message"), [
    (None, "STREAM_SASL_PASSWORD_FILE={path}: no such file"),
    ("", "STREAM_SASL_PASSWORD_FILE={path} is empty"),
    ("\n", "STREAM_SASL_PASSWORD_FILE={path} is empty"),
])
def test_unusable_password_file_is_a_clear_config_error(tmp_path: Path, content: str | None,
                                                        message: str) -> None:
    path = tmp_path / "password"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        sasl(sasl_password=None, sasl_password_file=path)
    assert str(caught.value) == message.format(path=path)


def test_password_and_password_file_together_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "password"
    path.write_text("other")
    with pytest.raises(ConfigError, match="STREAM_SASL_PASSWORD or STREAM_SASL_PASSWORD_FILE"):
        sasl(sasl_password_file=path)


# ------------------------------------------------------------------------ validation

@pytest.mark.parametrize("missing", ["sasl_username", "sasl_password"])
@pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
def test_sasl_needs_username_and_password(protocol: str, missing: str) -> None:
    with pytest.raises(ConfigError, match="needs STREAM_SASL_USERNAME and STREAM_SASL_PASSWORD"):
        sasl(security_protocol=protocol, **{missing: None})


def test_credentials_without_sasl_protocol_are_refused() -> None:
    with pytest.raises(ConfigError, match="does not send them"):
        sasl(security_protocol="SSL")


def test_certificate_needs_its_key(pki: Path) -> None:
    with pytest.raises(ConfigError, match="needs both STREAM_SSL_CERTFILE and STREAM_SSL_KEYFILE"):
        mtls(pki, ssl_keyfile=None, ssl_key_password_file=None)
    with pytest.raises(ConfigError, match="needs both"):
        mtls(pki, ssl_certfile=None)


@pytest.mark.parametrize("name", ["ssl_cafile", "ssl_certfile", "ssl_keyfile"])
def test_missing_tls_file_is_named(pki: Path, tmp_path: Path, name: str) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError) as caught:
        mtls(pki, **{name: missing})
    assert str(caught.value) == f"STREAM_{name.upper()}={missing}: no such file"


def test_tls_files_without_a_tls_protocol_are_refused(pki: Path) -> None:
    with pytest.raises(ConfigError, match=r"STREAM_SSL_CAFILE is set but .*PLAINTEXT"):
        Settings(ssl_cafile=pki / "cert.pem")


def test_wrong_key_password_is_a_clear_error_without_the_password(pki: Path) -> None:
    for settings in (mtls(pki, ssl_key_password_file=None, ssl_key_password="wrong-one"),
                     mtls(pki, ssl_key_password_file=None)):  # no password: must not prompt
        with pytest.raises(ConfigError) as caught:
            client_kwargs(settings)
        assert "STREAM_SSL_KEY_PASSWORD" in str(caught.value)
        assert "wrong-one" not in str(caught.value)


def test_bad_security_setting_is_one_line_on_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "stream.cli", "topics", "list"],
                          capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "STREAM_SECURITY_PROTOCOL": "SASL_SSL",
                               "STREAM_SASL_USERNAME": "alice"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        "Error: STREAM_SECURITY_PROTOCOL=SASL_SSL needs STREAM_SASL_USERNAME and "
        "STREAM_SASL_PASSWORD (or STREAM_SASL_PASSWORD_FILE)")


# ------------------------------------------------------- one path for aiokafka and Faust

def test_plaintext_needs_no_credentials() -> None:
    settings = Settings()
    assert broker_credentials(settings) is None
    assert client_kwargs(settings) == {"bootstrap_servers": ["127.0.0.1:9092"],
                                       "security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
def test_faust_and_aiokafka_get_the_same_sasl_configuration(protocol: str,
                                                            mechanism: str) -> None:
    settings = sasl(security_protocol=protocol, sasl_mechanism=mechanism)
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    ours = client_kwargs(settings)
    assert ours.pop("bootstrap_servers") == ["127.0.0.1:9092"]
    faust_kwargs = dict(credentials_to_aiokafka_auth(credentials))
    # Compare contexts by identity of configuration, not object.
    ours_ctx, faust_ctx = ours.pop("ssl_context", None), faust_kwargs.pop("ssl_context")
    assert faust_kwargs == ours
    assert ours["security_protocol"] == protocol and ours["sasl_mechanism"] == mechanism
    assert ours["sasl_plain_username"] == "alice" and ours["sasl_plain_password"] == PASSWORD
    assert (ours_ctx is None) == (faust_ctx is None) == (protocol == "SASL_PLAINTEXT")


def test_faust_and_aiokafka_get_the_same_mutual_tls(pki: Path) -> None:
    settings = mtls(pki)
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SSLCredentials)
    faust_kwargs = credentials_to_aiokafka_auth(credentials)
    ours = client_kwargs(settings)
    assert faust_kwargs["security_protocol"] == ours["security_protocol"] == "SSL"
    for context in (faust_kwargs["ssl_context"], ours["ssl_context"]):
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


# ----------------------------------------------------------------- connection failures

def test_auth_failure_names_user_and_mechanism_not_password() -> None:
    text = describe_failure(sasl(), SaslAuthenticationFailed(
        "Authentication failed during authentication due to invalid credentials"))
    assert text == ("SASL authentication failed for user 'alice' with SCRAM-SHA-512: "
                    "check STREAM_SASL_USERNAME and STREAM_SASL_PASSWORD")


def test_untrusted_certificate_names_the_ca_setting() -> None:
    failure = ssl.SSLCertVerificationError(1, "certificate verify failed")
    failure.verify_message = "unable to get local issuer certificate"
    assert "not trusted (unable to get local issuer certificate); check STREAM_SSL_CAFILE" in (
        describe_failure(sasl(), failure))


async def test_plaintext_failure_keeps_the_plain_message() -> None:
    text = await explain_connect_failure(Settings(brokers="127.0.0.1:1"), OSError("refused"))
    assert text == "cannot reach Kafka at 127.0.0.1:1: OSError('refused')"


# --------------------------------------------------------------------------- web

def test_web_endpoints_bind_to_loopback_by_default() -> None:
    settings = Settings(store="memory")
    assert settings.web_host == "127.0.0.1"
    conf = create_service(settings).app.conf
    assert conf.web_bind == "127.0.0.1" and conf.web_host == "127.0.0.1"
