"""SSH seals over the ledger: ``ssh-keygen -Y sign`` and ``-Y verify``, as git signs commits.

The hash chain shows that no old entry was edited, but anyone who can write the
file could rewrite every entry after the one they change. A seal closes that: the
reviewer signs the hash of the ledger's last entry with their SSH key, and since each
entry's hash covers the one before, the signature covers every entry up to it. A
seal is itself an entry (``action: seal``) holding the signer's principal, the
signed head and the armoured signature.

Verifying needs an *allowed signers* file (``principal key-type key`` per line, the
format of git's ``gpg.ssh.allowedSignersFile``): the ledger trusts exactly the keys
listed there. ``ssh-keygen`` must be installed; nothing here falls back to a weaker
check.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.approvals.ledger import Entry

NAMESPACE = "trainer-approvals"
ALLOWED_SIGNERS = "allowed_signers"


class SigningError(Exception):
    """ssh-keygen is missing or refused; ``str()`` is one line."""


def message(head: str) -> bytes:
    """The bytes a seal signs: the namespace and the head entry's hash."""
    return f"{NAMESPACE} ledger head {head}\n".encode("ascii")


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningError("ssh-keygen is not installed (OpenSSH 8.2 or later signs with -Y)")
    return found


def seal(entries: list[Entry], key: Path, signer: str) -> dict[str, Any]:
    """A seal entry (not yet chained) signing the ledger's last entry with ``key``."""
    if not entries:
        raise SigningError("the ledger is empty: there is nothing to seal")
    if not key.is_file():
        raise SigningError(f"{key}: no such key file")
    head = entries[-1].digest
    done = subprocess.run(
        [_ssh_keygen(), "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE],
        input=message(head),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        raise SigningError(f"ssh-keygen could not sign with {key}: {_why(done.stderr)}")
    return {
        "action": "seal",
        "signer": signer,
        "namespace": NAMESPACE,
        "head": head,
        "signature": done.stdout.decode("ascii"),
    }


@dataclass(frozen=True)
class SealCheck:
    """The verdict on one seal: whether the signature is good, and ssh-keygen's words."""

    entry: Entry
    ok: bool
    detail: str


def verify(entries: list[Entry], allowed_signers: Path) -> list[SealCheck]:
    """Check every seal of the ledger against ``allowed_signers``; one verdict each."""
    if not allowed_signers.is_file():
        raise SigningError(f"{allowed_signers}: no allowed signers file")
    tool = _ssh_keygen()
    out: list[SealCheck] = []
    for entry in entries:
        if entry.action != "seal":
            continue
        data = entry.data
        if data.get("head") != data.get("prev"):
            out.append(SealCheck(entry, False, "the seal names another head than its place"))
            continue
        with tempfile.TemporaryDirectory(prefix="trainer-seal-") as folder:
            signature = Path(folder) / "seal.sig"
            signature.write_text(str(data.get("signature", "")), encoding="ascii")
            done = subprocess.run(
                [
                    tool,
                    "-Y",
                    "verify",
                    "-f",
                    str(allowed_signers),
                    "-I",
                    str(data.get("signer", "")),
                    "-n",
                    str(data.get("namespace", NAMESPACE)),
                    "-s",
                    str(signature),
                ],
                input=message(str(data.get("head", ""))),
                capture_output=True,
                timeout=60,
                check=False,
            )
        ok = done.returncode == 0 and data.get("namespace") == NAMESPACE
        detail = _why(done.stdout if ok else done.stderr or done.stdout)
        out.append(SealCheck(entry, ok, detail))
    return out


def _why(output: bytes) -> str:
    text = " ".join(output.decode("utf-8", "replace").split())
    return text or "no reason given"
