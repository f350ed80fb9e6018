"""The shipped content is signed: every line a trainee can reach is approved in
``content/dialogues/approvals.jsonl``, under the findings the shipped rulebooks give
today, and the ledger's chain is intact. A content or rulebook change that alters a
taught line fails here until a reviewer signs it (``trainer approvals sign``)."""

from __future__ import annotations

from trainer.approvals.ledger import read_ledger
from trainer.paths import LEDGER_NAME, content_root
from trainer.services.approvals import open_review


def test_shipped_ledger_chain_is_intact() -> None:
    entries = read_ledger(content_root() / LEDGER_NAME)
    assert entries and entries[0].data["reviewer"]


def test_every_shipped_line_is_approved() -> None:
    review = open_review()
    pending = [f"{s.state} {s.id}" for s in review.pending()]
    assert pending == [], "run 'trainer approvals status' and sign after review"
    assert review.gate() == []
    assert len(review.lines) > 800
