"""The Part 11 / Annex 11 clauses the validation report traces (../shared/PART11.md), with
the short title a reader recognises. A clause no test names is listed as untested."""

from __future__ import annotations

CLAUSES: dict[str, str] = {
    "11.10(a)": "Validation; detect invalid or altered records",
    "11.10(b)": "Accurate and complete copies",
    "11.10(c)": "Protection and retrieval through the retention period",
    "11.10(d)": "System access limited to authorised individuals",
    "11.10(e)": "Secure, computer-generated, time-stamped audit trail",
    "11.10(f)": "Operational checks: permitted sequencing",
    "11.10(g)": "Authority checks",
    "11.10(h)": "Device checks",
    "11.10(i)": "Education, training and experience",
    "11.10(k)": "Control of system documentation",
    "11.50": "Signature manifestations",
    "11.70": "Signature/record linking",
    "11.200(a)(1)": "Two distinct identification components",
    "11.300(a)": "Unique identification code and password combinations",
    "11.300(b)": "Periodic check of codes and passwords",
    "11.300(c)": "Loss management: lost or compromised badges deauthorised",
    "11.300(d)": "Transaction safeguards; report attempted misuse",
    "11.300(e)": "Initial and periodic testing of badges and readers",
    "Annex 11 §7.2": "Regular backups, integrity and restore checked",
    "Annex 11 §8": "Printouts",
    "Annex 11 §9": "Audit trails",
    "Annex 11 §10": "Change and configuration management",
    "Annex 11 §12": "Security",
    "Annex 11 §16": "Business continuity",
    "Annex 11 §17": "Archiving",
    "ALCOA attributable": "Data attributable to a person",
    "ALCOA contemporaneous": "Recorded at the time, one time source",
}


def title(clause: str) -> str:
    return CLAUSES.get(clause, "")
