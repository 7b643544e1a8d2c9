"""Views: the frozen data the screens receive and send (no SQLAlchemy, no unit of work, no
ORM model). Services build them; the import-linter contract keeps screens on this side."""
