"""What screens receive: plain frozen dataclasses, no SQLAlchemy, no database session.

One module per area (DESIGN.md "vertical slice"); services in domain/services/<area>/ build
them, screens and kiosk backends consume them.
"""
