"""WorkCell hardware adapters: badge readers, smart cards, scanners, printers."""
