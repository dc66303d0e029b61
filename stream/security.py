"""Broker connection security (TLS, mutual TLS, SASL) shared by every Kafka client.

Why one module: the CLI's aiokafka clients and the Faust worker must connect the same way,
so both take their configuration from :func:`client_security`; a fix here (a TLS option, a
new mechanism) reaches both. Secrets stay in ``SecretStr`` until the moment they are handed
to the client library, and that library's logger is guarded so it cannot print them.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from stream.errors import ConfigError
from stream.settings import Settings

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

PROBE_TIMEOUT_SECONDS = 10.0
REDACTED = "**********"
# aiokafka.conn logs every request at DEBUG, SASL PLAIN's auth bytes (with the password) too.
# The CLI silences aiokafka today; the guard keeps the secret out if that ever changes.
_GUARDED_LOGGERS = ("aiokafka.conn", "aiokafka.client", "aiokafka")


@dataclass(frozen=True)
class SaslLogin:
    mechanism: str
    username: str
    password: SecretStr = field(repr=False)


@dataclass(frozen=True)
class ClientSecurity:
    """How to connect: what both aiokafka and Faust need, built once from the settings."""

    protocol: str
    ssl_context: ssl.SSLContext | None
    sasl: SaslLogin | None

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of AIOKafkaProducer / Consumer / AdminClient."""
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        if self.ssl_context is not None:
            kwargs["ssl_context"] = self.ssl_context
        if self.sasl is not None:
            kwargs["sasl_mechanism"] = self.sasl.mechanism
            kwargs["sasl_plain_username"] = self.sasl.username
            kwargs["sasl_plain_password"] = _handed_out(self.sasl.password)
        return kwargs

    def faust_credentials(self) -> CredentialsT | None:
        """Faust's ``broker_credentials``; Faust turns them back into the same aiokafka
        arguments (SASL_SSL when a context is given, SASL_PLAINTEXT otherwise). Faust is
        imported here only: the CLI's clients should not pay for importing it."""
        import faust

        if self.sasl is not None:
            return faust.SASLCredentials(
                username=self.sasl.username, password=_handed_out(self.sasl.password),
                mechanism=self.sasl.mechanism, ssl_context=self.ssl_context)
        if self.ssl_context is not None:
            return faust.SSLCredentials(self.ssl_context)
        return None


def client_security(settings: Settings) -> ClientSecurity:
    """The one place that turns security settings into client configuration."""
    sasl = None
    if settings.security_protocol.startswith("SASL"):
        # Settings already refuse this; checked again for settings built without validation.
        if not settings.sasl_username or settings.sasl_password is None:
            raise ConfigError(f"STREAM_SECURITY_PROTOCOL={settings.security_protocol} needs "
                              "STREAM_SASL_USERNAME and STREAM_SASL_PASSWORD")
        sasl = SaslLogin(settings.sasl_mechanism, settings.sasl_username, settings.sasl_password)
    return ClientSecurity(settings.security_protocol, ssl_context(settings), sasl)


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying TLS context (CA from STREAM_SSL_CAFILE, else the system's), with the
    client certificate for mutual TLS; None when the protocol does not use TLS."""
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.ssl_cafile) if settings.ssl_cafile else None
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except ssl.SSLError as exc:
        raise ConfigError(f"STREAM_SSL_CAFILE={cafile}: not a PEM CA certificate "
                          f"({exc.reason or exc})") from None
    if settings.ssl_certfile is not None:
        _load_client_certificate(context, settings)
    return context


def _load_client_certificate(context: ssl.SSLContext, settings: Settings) -> None:
    """Always pass a password callback: without one, OpenSSL would prompt on the terminal
    for an encrypted key and hang a worker with no terminal."""
    key_password = settings.ssl_key_password

    def password() -> str:
        return key_password.get_secret_value() if key_password else ""

    try:
        context.load_cert_chain(str(settings.ssl_certfile), str(settings.ssl_keyfile), password)
    except ssl.SSLError as exc:
        problem = ("the key does not match the certificate" if exc.reason == "KEY_VALUES_MISMATCH"
                   else "cannot read the key: wrong or missing STREAM_SSL_KEY_PASSWORD, "
                        "or not a PEM key")
        raise ConfigError(f"client certificate STREAM_SSL_CERTFILE={settings.ssl_certfile}, "
                          f"STREAM_SSL_KEYFILE={settings.ssl_keyfile}: {problem}") from None


# --------------------------------------------------------------------- secrets in logs

class RedactSecrets(logging.Filter):
    """Replaces the secrets it knows in a record's message by asterisks; keeps the record."""

    def __init__(self) -> None:
        super().__init__("stream.security")
        self.secrets: set[str] = set()

    def add(self, secret: str) -> None:
        # The plain text, and the escaped form it takes inside a logged bytes repr.
        self.secrets.update({secret, repr(secret.encode())[2:-1]})

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in sorted(self.secrets, key=len, reverse=True):
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        return True


_REDACTOR = RedactSecrets()


def _handed_out(secret: SecretStr) -> str:
    """Reveal a secret to a client library, guarding that library's loggers first."""
    value = secret.get_secret_value()
    if value not in _REDACTOR.secrets:
        _REDACTOR.add(value)
        for name in _GUARDED_LOGGERS:
            logger = logging.getLogger(name)
            if _REDACTOR not in logger.filters:
                logger.addFilter(_REDACTOR)
    return value


# ---------------------------------------------------------------- connection failures

async def explain_connect_failure(settings: Settings, exc: BaseException) -> str:
    """One line saying why the client could not connect.

    aiokafka reports every bootstrap failure as "Unable to bootstrap", hiding a wrong
    password or an untrusted certificate; with TLS or SASL configured, one bounded probe
    connection to the first broker recovers the real cause."""
    where = f"cannot reach Kafka at {settings.brokers}"
    if settings.security_protocol == "PLAINTEXT":
        return f"{where}: {exc!r}"
    cause = await _probe(settings)
    if cause is None:
        cause = (f"{exc!r}; the TLS/SASL handshake itself succeeds, so check that "
                 f"STREAM_SECURITY_PROTOCOL={settings.security_protocol} is the protocol of "
                 "the broker's listener on that port")
    return f"{where}: {cause}"


async def _probe(settings: Settings) -> str | None:
    host, _, port = settings.broker_list[0].rpartition(":")
    try:
        conn = await asyncio.wait_for(
            create_conn(host, int(port), request_timeout_ms=int(PROBE_TIMEOUT_SECONDS * 1000),
                        **client_security(settings).aiokafka_kwargs()),
            PROBE_TIMEOUT_SECONDS)
    except (TimeoutError, OSError, KafkaError) as failure:
        return describe_failure(settings, failure)
    conn.close()
    return None


def describe_failure(settings: Settings, failure: BaseException) -> str:
    """Name the setting to check for the usual TLS and SASL mistakes."""
    text = str(failure)
    if isinstance(failure, ssl.SSLCertVerificationError):
        return (f"TLS: the broker's certificate is not trusted ({failure.verify_message}); "
                f"check STREAM_SSL_CAFILE")
    if _client_certificate_missing(settings, failure):
        return ("TLS: the broker closed the connection, as one requiring a client certificate "
                "does (mutual TLS); set STREAM_SSL_CERTFILE and STREAM_SSL_KEYFILE")
    if "Authentication failed" in text or "SaslAuthentication" in type(failure).__name__:
        return (f"SASL authentication failed for user {settings.sasl_username!r} with "
                f"{settings.sasl_mechanism}: check STREAM_SASL_USERNAME and STREAM_SASL_PASSWORD")
    if "does not support" in text and "sasl" in text.lower():
        return f"the broker does not enable SASL mechanism {settings.sasl_mechanism}"
    if isinstance(failure, TimeoutError):
        return (f"no answer within {PROBE_TIMEOUT_SECONDS:.0f}s over "
                f"{settings.security_protocol}; is that the broker's protocol on this port?")
    name = type(failure).__name__
    return text if text.startswith(name) else f"{name}: {text}"


def _client_certificate_missing(settings: Settings, failure: BaseException) -> bool:
    """With TLS 1.3 the client's handshake completes before the broker checks for a client
    certificate; the broker's refusal then shows only as an alert or a closed connection."""
    if settings.ssl_certfile is not None or settings.security_protocol != "SSL":
        return False
    text = str(failure)
    return "certificate required" in text or (
        isinstance(failure, KafkaError) and text.endswith("closed"))
