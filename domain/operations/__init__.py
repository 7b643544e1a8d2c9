"""Operations on an installation as a whole: backup and restore (docs/operations.md) and the
validation pack's installation and operational qualification (docs/validation.md)."""
