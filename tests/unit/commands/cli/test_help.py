"""Every command's --help, nested ones included, ends with the exit codes (issue 16)."""

from __future__ import annotations

import argparse

from commands.cli.main import build_parser


def commands(parser: argparse.ArgumentParser, path: str = "ledger",
             ) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += commands(child, f"{path} {name}")
    return found


def test_every_help_lists_the_exit_codes() -> None:
    everything = commands(build_parser())
    assert {"ledger proof inclusion", "ledger archive verify", "ledger keys issue-file-cert",
            "ledger show"} <= {path for path, _ in everything}
    missing = [path for path, p in everything if "exit codes" not in p.format_help()]
    assert missing == []
