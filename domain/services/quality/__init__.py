"""Quality: inspection templates, receiving inspections with Z1.4 sampling and switching,
QA dispositions, NCRs with a risk matrix (issue 16; docs/quality.md).

One module per use-case family; every rule that matters is also enforced by the database
(migration 0018), the services give the clear message first.
"""
