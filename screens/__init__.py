"""WorkCell screens: Textual screens and widgets (touch-first). No SQL, no business rules."""
