"""Broker security on a real broker: SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and
mutual TLS, through the CLI and a real worker.

The module starts its own broker (deploy/kafka/kafka.sh on free ports, own state dir) with
a CA, server and client certificates made here by the ``openssl`` CLI, so the default
broker of the other integration tests is never touched. Every password is random per run,
which lets the tests assert it never shows up in any output.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from tests.integration.conftest import Env, WorkerProcess

REPO = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"
SAMPLE = (REPO / "samples" / "articles.jsonl").read_text().splitlines()[0]
CLI_TIMEOUT = 60.0
FAIL_FAST_SECONDS = 30.0

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.timeout(180),
    pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
                       reason="java not found: the secured test broker needs a JDK 17+"),
]


@pytest.fixture(scope="session", autouse=True)
def _require_broker() -> None:
    """Overrides conftest's check of the default broker: this module runs its own."""


# ------------------------------------------------------------------------- certificates

def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _make_ca(cwd: Path, name: str) -> None:
    _openssl(cwd, "req", "-x509", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.pem",
             "-days", "2", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def _make_leaf(cwd: Path, ca: str, name: str, usage: str) -> None:
    """A certificate for 127.0.0.1/localhost signed by ``ca``: the extensions a strict
    verifier (Python's default context, Java) expects."""
    (cwd / f"{name}.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage={usage}\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
    _openssl(cwd, "req", "-new", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/CN={name}")
    _openssl(cwd, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey",
             f"{ca}.key", "-set_serial", str(secrets.randbits(63)), "-days", "2",
             "-out", f"{name}.pem", "-extfile", f"{name}.ext")


@dataclass(frozen=True)
class Pki:
    dir: Path
    key_password: str

    def path(self, name: str) -> str:
        return str(self.dir / name)


def _make_pki(cwd: Path) -> Pki:
    if shutil.which("openssl") is None:
        pytest.fail("openssl CLI not found: it makes this test's CA and certificates")
    cwd.mkdir()
    _make_ca(cwd, "ca")
    _make_ca(cwd, "other-ca")
    _make_leaf(cwd, "ca", "server", "serverAuth")
    _make_leaf(cwd, "ca", "client", "clientAuth")
    # Kafka's PEM keystore: the private key and its certificate in one file.
    (cwd / "server-keystore.pem").write_text(
        (cwd / "server.key").read_text() + (cwd / "server.pem").read_text())
    # The client's key encrypted, its password in a file (STREAM_SSL_KEY_PASSWORD_FILE).
    key_password = secrets.token_urlsafe(12)
    (cwd / "client-key-password").write_text(key_password + "\n")
    _openssl(cwd, "pkey", "-in", "client.key", "-out", "client.enc.key", "-aes256",
             "-passout", "file:client-key-password")
    return Pki(cwd, key_password)


# ------------------------------------------------------------------------------ broker

def _free_ports(count: int) -> list[int]:
    """Distinct free ports: all sockets stay bound until every port is picked."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class SecureBroker:
    sasl_ssl: str
    mtls: str
    pki: Pki
    users: dict[str, tuple[str, str]]  # mechanism -> (user, password)


def _broker_config(pki: Pki, ports: dict[str, int], plain_user: tuple[str, str]) -> str:
    listeners = ",".join(f"{name}://127.0.0.1:{port}" for name, port in ports.items())
    jaas = "org.apache.kafka.common.security"
    return f"""
listeners={listeners}
advertised.listeners={listeners}
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config={jaas}.plain.PlainLoginModule required \
user_{plain_user[0]}="{plain_user[1]}";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config={jaas}.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={jaas}.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location={pki.path("server-keystore.pem")}
ssl.truststore.type=PEM
ssl.truststore.location={pki.path("ca.pem")}
listener.name.ssl.ssl.client.auth=required
"""


def _kafka_sh(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(KAFKA_SH), command], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """A dedicated broker: PLAINTEXT (kafka.sh's readiness check), SASL_SSL, SSL+client auth."""
    root = tmp_path_factory.mktemp("secure-broker")
    pki = _make_pki(root / "pki")
    plaintext, controller, sasl_ssl, mtls = _free_ports(4)
    users = {mech: (f"user-{mech.lower()}", secrets.token_urlsafe(16))
             for mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")}
    extra = root / "security.properties"
    extra.write_text(_broker_config(
        pki, {"PLAINTEXT": plaintext, "CONTROLLER": controller, "SASL_SSL": sasl_ssl,
              "SSL": mtls}, users["PLAIN"]))
    env = {"KAFKA_PORT": str(plaintext), "KAFKA_CONTROLLER_PORT": str(controller),
           "KAFKA_STATE_DIR": str(root / "state"), "KAFKA_EXTRA_CONFIG": str(extra),
           "KAFKA_HEAP_OPTS": "-Xms128m -Xmx512m", "KAFKA_START_TIMEOUT": "60",
           "KAFKA_FORMAT_ARGS": " ".join(
               f"--add-scram {mech}=[name={user},password={password}]"
               for mech, (user, password) in users.items() if mech != "PLAIN")}
    try:
        started = _kafka_sh("start", env)
        assert started.returncode == 0, f"secured broker did not start:\n{started.stderr}"
        yield SecureBroker(f"127.0.0.1:{sasl_ssl}", f"127.0.0.1:{mtls}", pki, users)
    finally:
        _kafka_sh("stop", env)


# ------------------------------------------------------------------------------ clients

def sasl_vars(broker: SecureBroker, mechanism: str, password: str | None = None,
              cafile: str = "ca.pem") -> dict[str, str]:
    user, real_password = broker.users[mechanism]
    return {"STREAM_BROKERS": broker.sasl_ssl, "STREAM_SECURITY_PROTOCOL": "SASL_SSL",
            "STREAM_SASL_MECHANISM": mechanism, "STREAM_SASL_USERNAME": user,
            "STREAM_SASL_PASSWORD": password or real_password,
            "STREAM_SSL_CAFILE": broker.pki.path(cafile)}


def mtls_vars(broker: SecureBroker) -> dict[str, str]:
    pki = broker.pki
    return {"STREAM_BROKERS": broker.mtls, "STREAM_SECURITY_PROTOCOL": "SSL",
            "STREAM_SSL_CAFILE": pki.path("ca.pem"), "STREAM_SSL_CERTFILE": pki.path("client.pem"),
            "STREAM_SSL_KEYFILE": pki.path("client.enc.key"),
            "STREAM_SSL_KEY_PASSWORD_FILE": pki.path("client-key-password")}


@dataclass
class SecureEnv(Env):
    """conftest's per-test namespace (topics, app id, web port) on the secured broker."""

    security: dict[str, str] = field(default_factory=dict)

    @property
    def vars(self) -> dict[str, str]:
        return {**super().vars, **self.security}


def secure_env(tmp_path: Path, security: dict[str, str]) -> SecureEnv:
    return SecureEnv(prefix=f"s{uuid.uuid4().hex[:10]}", tmp=tmp_path, security=security)


def run_cli(env: SecureEnv, *args: str, stdin: str | None = None,
            timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``python -m stream.cli`` with only this test's STREAM_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STREAM_")}
    return subprocess.run([sys.executable, "-m", "stream.cli", *args], cwd=REPO, input=stdin,
                          env={**clean, **env.vars}, capture_output=True, text=True,
                          timeout=timeout)


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"{proc.args} failed:\n{proc.stderr}"
    return proc


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The CLI's contract for a user mistake: exit 1, one ``Error:`` line, no traceback."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


def assert_secret_absent(secret: str, *outputs: str) -> None:
    for output in outputs:
        assert secret not in output, "a secret appeared in the output"


def produce_and_tail(env: SecureEnv, topic: str, secret: str) -> list[dict[str, object]]:
    """Create the topics, send one sample article, read ``topic`` back over the same
    secured connection; returns the records and checks no output shows ``secret``."""
    procs = [ok(run_cli(env, "topics", "create")),
             ok(run_cli(env, "produce", "-", stdin=SAMPLE + "\n")),
             ok(run_cli(env, "tail", topic, "-b", "--max", "1", "--idle-timeout", "30")),
             ok(run_cli(env, "topics", "list"))]
    assert topic in procs[-1].stdout
    assert_secret_absent(secret, *(p.stdout + p.stderr for p in procs))
    return [orjson.loads(line) for line in procs[2].stdout.splitlines()]


# -------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_cli_over_sasl_ssl(broker: SecureBroker, tmp_path: Path, mechanism: str) -> None:
    env = secure_env(tmp_path, sasl_vars(broker, mechanism))
    [record] = produce_and_tail(env, env.topic("raw"), broker.users[mechanism][1])
    assert orjson.loads(SAMPLE)["url"] == record["value"]["url"]  # type: ignore[index]


def test_cli_over_mutual_tls_with_an_encrypted_key(broker: SecureBroker, tmp_path: Path) -> None:
    env = secure_env(tmp_path, mtls_vars(broker))
    [record] = produce_and_tail(env, env.topic("raw"), broker.pki.key_password)
    assert orjson.loads(SAMPLE)["url"] == record["value"]["url"]  # type: ignore[index]


@pytest.mark.parametrize("name", ["sasl-plain-debug", "mtls"])
def test_worker_enriches_end_to_end(broker: SecureBroker, tmp_path: Path, name: str) -> None:
    """A real worker over SASL_SSL (PLAIN, whose password goes over the wire as is; logging
    at DEBUG, the most verbose) and over mutual TLS with an encrypted key: it publishes the
    enriched article, and no password shows in its log."""
    security = (sasl_vars(broker, "PLAIN") | {"STREAM_LOG_LEVEL": "DEBUG"}
                if name.startswith("sasl") else mtls_vars(broker))
    env = secure_env(tmp_path, security)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.proc = subprocess.Popen(
        [sys.executable, "-m", "stream.cli", "worker"], cwd=REPO,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("STREAM_")},
             **env.vars}, stdout=worker.log_path.open("ab"), stderr=subprocess.STDOUT)
    try:
        worker.wait_ready(90)
        ok(run_cli(env, "produce", "-", stdin=SAMPLE + "\n"))
        tail = ok(run_cli(env, "tail", env.topic("enriched"), "-b", "--max", "1",
                          "--idle-timeout", "60", timeout=90))
    finally:
        worker.kill()
    [record] = [orjson.loads(line) for line in tail.stdout.splitlines()]
    assert record["headers"]["schema"] == "enriched_article"
    assert {"club:arsenal", "club:chelsea"} <= {e["id"] for e in record["value"]["entities"]}
    log = worker.log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert_secret_absent(broker.users["PLAIN"][1], log)
    assert_secret_absent(broker.pki.key_password, log)


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_wrong_password_fails_fast_with_one_line(broker: SecureBroker, tmp_path: Path,
                                                 mechanism: str) -> None:
    wrong = secrets.token_urlsafe(16)
    env = secure_env(tmp_path, sasl_vars(broker, mechanism, password=wrong))
    started = time.monotonic()
    proc = run_cli(env, "topics", "create")
    assert time.monotonic() - started < FAIL_FAST_SECONDS
    line = one_line_error(proc)
    assert "SASL authentication failed" in line and mechanism in line
    assert_secret_absent(wrong, proc.stdout + proc.stderr)


def test_worker_with_a_wrong_password_exits_with_a_clear_error(
        broker: SecureBroker, tmp_path: Path) -> None:
    wrong = secrets.token_urlsafe(16)
    env = secure_env(tmp_path, sasl_vars(broker, "SCRAM-SHA-256", password=wrong))
    started = time.monotonic()
    proc = run_cli(env, "worker", timeout=FAIL_FAST_SECONDS + 30)
    assert time.monotonic() - started < FAIL_FAST_SECONDS
    assert proc.returncode != 0
    assert "SASL authentication failed" in proc.stderr and "Traceback" not in proc.stderr
    assert_secret_absent(wrong, proc.stdout + proc.stderr)


def test_untrusted_server_certificate_is_refused(broker: SecureBroker, tmp_path: Path) -> None:
    env = secure_env(tmp_path, sasl_vars(broker, "SCRAM-SHA-512", cafile="other-ca.pem"))
    started = time.monotonic()
    line = one_line_error(run_cli(env, "topics", "list"))
    assert time.monotonic() - started < FAIL_FAST_SECONDS
    assert "certificate is not trusted" in line and "STREAM_SSL_CAFILE" in line


def test_mutual_tls_without_a_client_certificate_is_refused(
        broker: SecureBroker, tmp_path: Path) -> None:
    security = {k: v for k, v in mtls_vars(broker).items()
                if k in ("STREAM_BROKERS", "STREAM_SECURITY_PROTOCOL", "STREAM_SSL_CAFILE")}
    env = secure_env(tmp_path, security)
    started = time.monotonic()
    line = one_line_error(run_cli(env, "topics", "list"))
    assert time.monotonic() - started < FAIL_FAST_SECONDS
    assert "client certificate" in line
