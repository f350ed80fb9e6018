"""Compliance sign-off: who approved which words a trainee is taught, and what changed since.

* `lines` — every taught line (approved guided options, wording entries, briefing
  objectives) with an id from its place and a hash of its normalised text (`text`);
* `ledger` — the hash-chained ``approvals.jsonl`` kept with the content;
* `review` — each line's standing (approved, new, changed, rules, removed), the
  approval gate's diagnostics and the entries a sign-off writes;
* `sshsig` — SSH seals over the ledger (``ssh-keygen -Y sign/verify``);
* `book` — the printable compliance book (HTML, CSV).

This layer reads content and grades with the rulebooks; it loads neither itself:
front ends pass a loaded `ContentSet` and a `BookSet` (see `trainer.services.approvals`).
"""
