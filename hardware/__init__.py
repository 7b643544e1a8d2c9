"""WorkCell hardware adapters: badge readers, smart cards, scanners, printers.

Public API (see docs/hardware.md): events in ``hardware.events``, interfaces in
``hardware.protocols``, the keyboard-wedge decoder in ``hardware.wedge``, the PC/SC monitor
in ``hardware.pcsc`` (needs pyscard), fakes for screen tests in ``hardware.fakes``.
No Textual and no domain imports here.
"""
