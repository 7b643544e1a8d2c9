"""Engineering screens: items with their revisions, revision detail with history and
signatures, comparison of two revisions, ECO list and ECO detail with signed steps."""
