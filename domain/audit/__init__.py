"""Tamper evidence and reading of the audit trail (issue 3, items 7 and 8).

- seal: chain entries of ended transactions (audit.seal() in the database).
- anchors: chain heads kept outside the database (the station's anchor file).
- verify: set-based checks of entries, chain, seals, anchors and audit triggers.
- query: search, entry detail and record history for screens and the CLI.
- export / bundle: an inspector's bundle, and its offline (no database) verification.

See docs/audit.md.
"""
