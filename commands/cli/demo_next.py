"""What the demo leaves behind so every README command works on its ledger: the
departments' keys where ``LEDGER_KEYS_DIR`` looks, file certificates from a demo CA, and
a "try next" table of real values and commands to copy."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from commands.cli.keys import write_file_signer
from commands.cli.output import err, result_table
from commands.demo.scenario import Scenario
from ledger.integrity.signing import save_signing_key
from licence_files.dev_ca import DevCA

DEMO_CA_NAME = "Licence Ledger DEMO CA - not for real licences"
DEMO_CA_ORG = "licence-ledger demo (never trust)"


def write_demo_keys(scenario: Scenario, keys_dir: Path) -> list[dict[str, Any]]:
    """Write each department's command key and a demo-CA file signer into ``keys_dir``;
    return the signed RegisterFileCertificate commands that register the certificates."""
    ca = DevCA.create(DEMO_CA_NAME, DEMO_CA_ORG)
    ca.write_ca(keys_dir / "demo-ca.cert.pem", keys_dir / "demo-ca.key.pem")
    commands = []
    for d in scenario.city.departments:
        path = keys_dir / f"{d.code}.pem"
        if not path.exists():  # the same seed derives the same key: keep the file
            save_signing_key(d.key, path)
        chain = write_file_signer(ca, keys_dir, d.code, f"{d.name} 文件签名（演示）", d.name)
        commands.append(scenario.sign(d, "RegisterFileCertificate",
                                      {"code": d.code, "certificate": chain}))
    return commands


def program() -> str:
    """How the user can run this same ``ledger`` again from the current directory."""
    argv0 = sys.argv[0]
    if Path(argv0).name == "ledger":
        found = shutil.which("ledger")
        if found and os.path.samefile(found, argv0):
            return "ledger"
        relative = os.path.relpath(argv0)
        return relative if relative.startswith(".") else f"./{relative}"
    return f"{shlex.quote(sys.executable)} -m commands.cli.main"


def try_next(s: Scenario, on_postgres: bool) -> None:
    """The table of commands to copy, with values taken from the demo's own ledger."""
    result_table("try next (copy a command; they run in this order)", ["what", "command"],
                 try_next_rows(s, on_postgres))
    err.print("department keys and file certificates are in LEDGER_KEYS_DIR (default"
              " .ledger/keys); they come from a demo CA, for trying the ledger only")


def try_next_rows(s: Scenario, on_postgres: bool) -> list[tuple[str, str]]:
    """(what, command) pairs, the command as the user types it."""
    lic = next((x for x in s.issued if x["status"] == "01"
                and s.city.types[x["type_code"]]["name"] == "营业执照"), s.issued[0])
    ident, issuer, holder = lic["identifier"], lic["issuer"], lic["holder"]
    user = s.using_departments[0]
    grant = s.functional_grants[user.code]
    recipient = s.using_departments[-1].code
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    q, ledger = shlex.quote, program()
    rows = [
        ("a licence (营业执照): state and history", f"show {ident}"),
        ("its holder's licences and grants", f"wallet {holder}"),
        (f"who read {issuer.name}'s licences", f"access-log --issuer {issuer.code}"),
        ("issuance and usage rates", "stats"),
        ("render the signed original (PDF)", f"render {ident} --format pdf --out licence.pdf"),
        (f"verify it as {user.name}", f"verify-file licence.pdf --as {user.code}"),
        ("make an annotated copy (加注件)",
         f"annotate {ident} --purpose {q('办理税务登记')} --recipient {recipient}"
         f" --until {until} --out copy.pdf --as {user.code} --grant {grant}"
         " --matter MATTER-001 --case CASE-DEMO-1"),
        ("verify the copy", f"verify-file copy.pdf --as {user.code}"),
        ("check every hash, chain and signature; re-derive every event from its signed"
         " command", "audit --replay"),
        ("check the set-up", "doctor"),
        ("the sharing service on http://127.0.0.1:8080: API, QR status pages, /portal"
         " (Ctrl-C stops it)", "serve"),
    ]
    if on_postgres:
        rows.insert(0, ("bring the read models up to date first", "project"))
    return [(what, f"{ledger} {command}") for what, command in rows]
