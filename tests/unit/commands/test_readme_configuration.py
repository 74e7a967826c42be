"""The README's configuration table names every variable the settings read (issue 16:
"the configuration table complete")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "commands" / "settings.py", ROOT / "commands" / "setting_sections.py"]


def configuration_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def test_every_variable_the_settings_read_is_in_the_readme_table() -> None:
    read = {name for source in SOURCES
            for name in re.findall(r"[\"']((?:LEDGER|KAFKA)_[A-Z_]+)[\"']",
                                   source.read_text(encoding="utf-8"))}
    assert len(read) > 30  # the pattern still finds the settings' names
    table = configuration_table()
    assert sorted(name for name in read if f"`{name}`" not in table) == []
