"""Materials screens: receiving, lot detail, holds, moves, shipping, trace (docs/materials.md)."""
