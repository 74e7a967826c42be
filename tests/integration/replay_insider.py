"""An insider: database access *and* the ledger key, rewriting history so the audit passes.

:meth:`Insider.rewrite` takes edits to stored bodies (or deletions), then does what the
plain audit checks, from the first row to the last: re-links every stream's hash chain,
lists the new hashes in each batch's seal and signs it again with the ledger key, and
recomputes and re-signs every transparency checkpoint over the rewritten leaves. Only the
departments' signatures cannot be forged: the replay must catch what is left.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from ledger.integrity.canonical import canonical_bytes
from ledger.integrity.sealing import seal_message
from ledger.integrity.signing import SigningKey, b64encode
from ledger.transparency.checkpoint import sign_checkpoint
from ledger.transparency.merkle import CompactRange, hash_leaf
from tests.builders import RawEvents, Row

Body = dict[str, Any]


class Insider:
    def __init__(self, raw: RawEvents, keys: Iterable[SigningKey]) -> None:
        self.raw = raw
        self.keys = {k.key_id: k for k in keys}

    def rows(self) -> list[Row]:
        return self.raw.rows()

    def edit(self, row: Row, change: Callable[[Body], None]) -> None:
        body = row.body()
        change(body)
        self.rewrite({row.nid: body})

    def rewrite(self, edits: dict[int, Body | None]) -> None:
        """Apply ``edits`` (nid → new body, or None to delete), then re-chain, re-seal and
        re-sign checkpoints so that every hash, link and ledger signature holds again."""
        heads: dict[str, str | None] = {}
        batch: list[str] = []
        leaves = CompactRange()
        prefixes: list[CompactRange] = []  # the range after each leaf, for checkpoints
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for row in self.raw.rows():
            if row.nid in edits and edits[row.nid] is None:
                statements.append(("DELETE FROM {table} WHERE {id} = ?", (row.nid,)))
                continue
            body = edits.get(row.nid) or row.body()
            body["prev"] = heads.get(row.stream)
            if row.topic == "BatchSealed":
                self._reseal(body, batch)
                batch = []
            elif row.topic == "CheckpointPublished":
                self._resign(body, prefixes)
            state = canonical_bytes(body)
            if state != row.state:
                statements.append(("UPDATE {table} SET state = ? WHERE {id} = ?",
                                   (state, row.nid)))
            digest = hashlib.sha256(state).hexdigest()
            heads[row.stream] = digest
            if row.topic != "BatchSealed":
                batch.append(digest)
            leaves.append(hash_leaf(state))
            prefixes.append(leaves.copy())
        self.raw._run(*statements)

    def _reseal(self, body: Body, batch: list[str]) -> None:
        data = body["data"]
        data["events"] = list(batch)
        key = self.keys[data["key_id"]]
        message = seal_message(data["lane"], body["version"], body["prev"], list(batch),
                               key.key_id, body["at"])
        data["signature"] = b64encode(key.sign(message))

    def _resign(self, body: Body, prefixes: list[CompactRange]) -> None:
        data = body["data"]
        root = prefixes[data["size"] - 1].root()
        checkpoint = sign_checkpoint(data["origin"], data["size"], root, data["time"],
                                     self.keys[data["key_id"]])
        body["data"] = checkpoint.to_event().to_data()
