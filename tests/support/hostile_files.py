"""Files no command should accept, built once per test session: FIFOs, devices, random bytes,
truncated databases, a database from a newer schema, CSVs beyond pandas' date range, genome files
with huge integers or deep nesting. `HostileFiles.path(name)` resolves `{name}` placeholders."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from storage.store import Store

HEADER = "date,open,high,low,close,volume\n"
GOOD_ROWS = "".join(f"2020-01-{d:02d},10,11,9,10,1\n" for d in range(1, 4))
ADDRESS = "0x" + "1" * 40


def _immutable(path: Path) -> bool:
    """chattr +i where the file system and our capabilities allow it."""
    try:
        return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


@dataclass
class HostileFiles:
    root: Path
    immutable_ok: bool = False

    def path(self, text: str) -> str:
        return text.format(**{p.name.replace(".", "_").replace("-", "_"): str(p) for p in self.root.iterdir()},
                           root=str(self.root), dev_zero="/dev/zero")

    def cleanup(self) -> None:
        if self.immutable_ok:
            subprocess.run(["chattr", "-i", str(self.root / "immutable.db")], capture_output=True)


def build(root: Path) -> HostileFiles:
    root.mkdir(parents=True, exist_ok=True)
    (root / "good.csv").write_text(HEADER + GOOD_ROWS)
    (root / "after_2262.csv").write_text(HEADER + "2300-01-01,10,11,9,10,1\n")
    (root / "before_1678.csv").write_text(HEADER + "1600-01-01,10,11,9,10,1\n")
    (root / "long_field.csv").write_text(HEADER + "2020-01-01," + "1" * 200_000 + ",11,9,10,1\n")
    (root / "binary.csv").write_bytes(b"\x00\x01\x02" * 100)
    (root / "empty_dir").mkdir()
    (root / "csv_dir").mkdir()
    (root / "csv_dir" / "BTC.csv").write_text(HEADER + GOOD_ROWS)
    os.mkfifo(root / "fifo")
    (root / "huge_int.json").write_text('{"genes": [' + "9" * 5000 + "]}")
    (root / "big_int.json").write_text('{"genes": [' + "9" * 4000 + "".join([", 0.5"] * 21) + "]}")
    (root / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "nan.json").write_text('{"genes": [NaN' + "".join([", 0.5"] * 21) + "]}")
    (root / "not_json.json").write_text("genes = 0.5")
    (root / "genome.json").write_text('{"genes": [' + ", ".join(["0.5"] * 22) + "]}")
    (root / "random.db").write_bytes(os.urandom(8192))
    Store(root / "good.db").close()
    data = (root / "good.db").read_bytes()
    (root / "truncated.db").write_bytes(data[: len(data) // 3])
    shutil.copy(root / "good.db", root / "newer.db")
    conn = sqlite3.connect(root / "newer.db")
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m999_from_the_future', 'x')")
    conn.commit()
    conn.close()
    (root / "db_dir").mkdir()
    (root / "a_file").write_text("not a directory")
    os.symlink(root / "good.db", root / "link.db")
    os.link(root / "good.db", root / "hard.db")
    shutil.copy(root / "good.db", root / "immutable.db")
    files = HostileFiles(root)
    files.immutable_ok = _immutable(root / "immutable.db")
    return files
