"""Tables piped to another program (commands/cli/output.py)."""

from __future__ import annotations

import io

from rich.console import Console

from commands.cli.output import table


def test_a_piped_table_is_tab_separated_one_line_a_row() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=20)
    table("rates", ["department", "value"],
          [("11320581LJ2K0XTF1R" * 3, 1), ("tab\there", "line\nbreak")], console=console)
    assert buffer.getvalue().splitlines() == [
        "# rates", "department\tvalue", f"{'11320581LJ2K0XTF1R' * 3}\t1",
        "tab here\tline break", ""]
