"""``ledger keys issue-file-cert``: a department's file-signing key and certificate from a
CA the user holds, written where ``LEDGER_KEYS_DIR`` looks and registered in the ledger.

The demo does the same with its own demo CA (:func:`write_file_signer`).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from commands.bootstrap import Services, bootstrap
from commands.bus.pipeline import Result
from commands.cli.args import department_code, require_department
from commands.cli.output import fail, result_table
from commands.settings import load_settings
from commands.signed.envelope import sign_envelope
from ledger.errors import ConfigurationError
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import load_signing_key
from licence_files.dev_ca import CRL_URL, DevCA

HELP = """\
Make a file-signing key (ECDSA P-256) for a department, have your CA certify it, write
<CODE>.file-key.pem, <CODE>.file-cert.pem (certificate, then the CA certificate) and
<CODE>.file-crl.pem into DIR (default LEDGER_KEYS_DIR, .ledger/keys), then register the
certificate in the ledger with a RegisterFileCertificate signed by the department's
command key DIR/<CODE>.pem.

The CA is yours: --ca-cert is its certificate (a self-signed root, PEM) and --ca-key its
private key (PEM, unencrypted). Give --crl with the CA's current CRL; without it a fresh,
empty CRL signed by --ca-key is written (right only for a CA that has revoked nothing).
The certificate's CRL distribution point is --crl-url (where verifiers may fetch the CRL).

`ledger demo` does the same for its departments with a demo CA it writes to
.ledger/keys/demo-ca.cert.pem and demo-ca.key.pem (never use it for real licences).

exit codes: 0 written and registered; 1 the ledger refused the registration; 2 bad
usage, unreadable CA files, unknown department or missing command key.
"""


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="department key material for licence files")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    keys_sub.required = True
    p = keys_sub.add_parser("issue-file-cert", help="certify a department's file-signing key"
                            " with your CA, write it to LEDGER_KEYS_DIR, register it",
                            description=HELP,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--department", required=True, type=department_code, metavar="CODE",
                   help="the department's USCC")
    p.add_argument("--ca-cert", required=True, type=Path, metavar="PEM")
    p.add_argument("--ca-key", required=True, type=Path, metavar="PEM")
    p.add_argument("--crl", type=Path, metavar="PEM", help="the CA's current CRL")
    p.add_argument("--crl-url", default=CRL_URL, metavar="URL",
                   help=f"CRL distribution point in the certificate (default {CRL_URL})")
    p.add_argument("--name", metavar="TEXT", help="certificate common name (default: the"
                   " department's code and 文件签名)")
    p.add_argument("--out", type=Path, metavar="DIR", help="default: LEDGER_KEYS_DIR")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=issue_file_cert)


def load_ca(cert_path: Path, key_path: Path) -> DevCA:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {exc.filename}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"--ca-cert/--ca-key: not a PEM certificate and an"
                                 f" unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ConfigurationError("--ca-key: expected an EC or RSA private key")
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*raw) != cert.public_key().public_bytes(*raw):
        raise ConfigurationError(f"{key_path} is not the key of the CA certificate {cert_path}")
    return DevCA(key, cert)  # type: ignore[arg-type]  # DevCA signs with any key it holds


def write_file_signer(ca: DevCA, keys_dir: Path, code: str, common_name: str,
                      organisation: str, crl_url: str = CRL_URL,
                      crl_pem: bytes | None = None) -> str:
    """Issue and write a department's file signer; return the chain PEM to register."""
    key, cert = ca.issue(common_name, organisation, crl_url=crl_url)
    ca.write_signer(keys_dir, code, key, cert)
    if crl_pem is not None:
        (keys_dir / f"{code}.file-crl.pem").write_bytes(crl_pem)
    return ca.chain_pem(cert)


def _certify_and_register(args: argparse.Namespace, keys_dir: Path,
                          services: Services) -> int | tuple[Path, str, Result]:
    """Write the certified key beside the command key, register it; an exit code if the
    input is unusable."""
    out = args.out or keys_dir
    code = args.department
    command_key = out / f"{code}.pem"
    if not command_key.exists():
        return fail(f"{command_key} is missing: the department's command key signs the"
                    " registration (ledger keygen --out it, registered with"
                    " RegisterDepartmentKey)")
    ca = load_ca(args.ca_cert, args.ca_key)
    crl = None
    if args.crl is not None:
        try:
            crl = args.crl.read_bytes()
            x509.load_pem_x509_crl(crl)
        except (OSError, ValueError) as exc:
            return fail(f"--crl {args.crl}: not a readable PEM CRL ({exc})")
    chain = write_file_signer(ca, out, code, args.name or f"{code} 文件签名", code,
                              args.crl_url, crl)
    envelope = sign_envelope(load_signing_key(command_key), command_type="RegisterFileCertificate",
                             actor=code, payload={"code": code, "certificate": chain},
                             issued_at=format_instant(datetime.now(UTC)))
    [result] = services.bus.execute([envelope])
    return out, code, result


def issue_file_cert(args: argparse.Namespace) -> int:
    settings = load_settings()
    services = bootstrap(settings)
    try:
        require_department(services.store, args.department, "--department")
        outcome = _certify_and_register(args, settings.files.keys_dir, services)
    finally:
        services.close()
    if isinstance(outcome, int):
        return outcome
    out, code, result = outcome
    answer = {"department": code, "key": str(out / f"{code}.file-key.pem"),
              "certificate": str(out / f"{code}.file-cert.pem"),
              "crl": str(out / f"{code}.file-crl.pem"),
              "registered": result.accepted, "code": result.code, "message": result.message}
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        result_table(f"file signer of {code}", ["item", "value"],
                     [(k, "" if v is None else v) for k, v in answer.items()])
    return 0 if result.accepted else 1
