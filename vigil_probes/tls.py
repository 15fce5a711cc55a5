"""TLS: the client contexts every probe shares, and the certificate probe."""

import asyncio
import functools
import ssl
from datetime import UTC, datetime, timedelta

from cryptography import x509

from .config import TlsProbe
from .result import ProbeFailure, ProbeResult, Progress, State
from .safety import resolve
from .tcp import connect

# OpenSSL's X509_V_ERR_* codes that get their own wording.
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
HOSTNAME_MISMATCH = 62
IP_ADDRESS_MISMATCH = 64


@functools.lru_cache(maxsize=64)
def client_context(verify: bool = True, check_hostname: bool = True, ca_pem: str = "") -> ssl.SSLContext:
    """A client context, made once per combination: loading a CA store costs milliseconds.

    Clients do not resume TLS sessions unless asked to, so sharing a context keeps every
    handshake a full one, as a new visitor's is. ca_pem, when given, is the only trust store.
    """
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cadata=ca_pem or None)
    if not ca_pem and not context.cert_store_stats()["x509_ca"]:
        _load_certifi(context)
    context.check_hostname = check_hostname
    return context


def _load_certifi(context: ssl.SSLContext) -> None:
    """A machine without a system CA bundle (slim containers) falls back on certifi's, if installed."""
    try:
        import certifi
    except ImportError:
        return
    context.load_verify_locations(certifi.where())


def describe_cert_error(exc: ssl.SSLCertVerificationError, host: str) -> str:
    if exc.verify_code == CERT_HAS_EXPIRED:
        return "TLS certificate expired"
    if exc.verify_code == CERT_NOT_YET_VALID:
        return "TLS certificate not yet valid"
    if exc.verify_code in (HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH):
        return f"TLS certificate not valid for {host!r}"
    return f"TLS certificate not trusted: {exc.verify_message}"


def describe_ssl_error(exc: ssl.SSLError) -> str:
    return f"TLS handshake failed: {(exc.reason or str(exc)).lower().replace('_', ' ')}"


async def check_tls(probe: TlsProbe, context, progress: Progress) -> ProbeResult:
    progress.step = "resolving the host"
    addresses = await resolve(probe.host, probe.port, context.policy)
    ssl_context = client_context(probe.verify_chain, probe.check_hostname, probe.ca_pem)
    try:
        der, details = await _handshake(probe, addresses, ssl_context, progress)
    except ssl.SSLCertVerificationError as exc:
        reason = describe_cert_error(exc, probe.host)
        if exc.verify_code not in (CERT_HAS_EXPIRED, CERT_NOT_YET_VALID):
            raise ProbeFailure(reason) from None
        # Fetch the certificate again, unchecked, to say by how much it is out of date.
        der, details = await _handshake(probe, addresses, client_context(verify=False), progress)
        result = judge_certificate(probe, x509.load_der_x509_certificate(der), progress, details)
        if result.state is not State.DOWN:  # the leaf is fine: a certificate above it is not
            raise ProbeFailure(reason + " (a certificate in the chain)", details=details) from None
        return result
    return judge_certificate(probe, x509.load_der_x509_certificate(der), progress, details)


async def _handshake(probe: TlsProbe, addresses: list[str], ssl_context: ssl.SSLContext, progress: Progress):
    progress.step = "connecting"
    transport, protocol, address = await connect(addresses, probe.port)
    progress.step = "doing the TLS handshake"
    loop = asyncio.get_running_loop()
    tls = None
    try:
        tls = await loop.start_tls(transport, protocol, ssl_context, server_hostname=probe.host)
        ssl_object = tls.get_extra_info("ssl_object")
        return ssl_object.getpeercert(binary_form=True), {"address": address, "tls_version": ssl_object.version()}
    except ssl.SSLCertVerificationError:
        raise
    except ssl.SSLError as exc:
        raise ProbeFailure(describe_ssl_error(exc), details={"address": address}) from None
    except ConnectionError:
        raise ProbeFailure("connection closed during the TLS handshake", details={"address": address}) from None
    finally:
        (tls or transport).close()


def judge_certificate(probe: TlsProbe, cert: x509.Certificate, progress: Progress, details: dict) -> ProbeResult:
    now = datetime.now(UTC)
    left = cert.not_valid_after_utc - now
    details |= {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "expires_at": cert.not_valid_after_utc.isoformat(),
        "days_left": left.days if left >= timedelta(0) else -(-left).days,
    }
    if now < cert.not_valid_before_utc:
        since = cert.not_valid_before_utc.strftime("%Y-%m-%d %H:%M UTC")
        return progress.down(f"TLS certificate not valid before {since}", details=details)
    if left <= timedelta(0):
        return progress.down(f"TLS certificate expired {_ago(-left)}", details=details)
    if left.days < probe.fail_days:
        return progress.down(
            f"TLS certificate expires in {_days(left.days)} (fail under {probe.fail_days})", details=details
        )
    if left.days < probe.warn_days:
        reason = f"TLS certificate expires in {_days(left.days)} (warn under {probe.warn_days})"
        return progress.result(State.DEGRADED, reason, details=details)
    return progress.result(details=details)


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _ago(delta: timedelta) -> str:
    return "less than a day ago" if delta.days == 0 else f"{_days(delta.days)} ago"
