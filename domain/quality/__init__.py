"""Quality rules that need no database: the ANSI/ASQ Z1.4 sampling engine over controlled
reference data (``data/``, checked against its SHA-256 manifest when loaded).

The database holds the same tables (migration 0018 loads them from these files after the
same check) and computes the plans inspections use; this package answers look-ups where
there is no database (``workcell quality aql``) and is the reference the tests compare the
database with.
"""
