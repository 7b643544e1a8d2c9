"""WorkCell domain: business rules and persistence. Imports neither Textual nor hardware."""
