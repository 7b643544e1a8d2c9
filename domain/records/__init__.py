"""Batch records / device history records and true copies (issue 15, docs/records.md).

  canonical.py  the JSON twin's one serialisation (sorted keys, no floats) and its SHA-256;
                the signature binding hash recomputed without a database
  collect.py    the record gathered from the database as a typed structure (WorkOrderRecord)
  render.py     HTML/CSS templates → PDF/A-3b with the JSON twin embedded (WeasyPrint)
  copies.py     generate + register the PDF's SHA-256 (workcell.record_copy); look one up
  verify.py     check a PDF offline: PDF/A markers, the twin, the printed hash, bindings

verify.py and canonical.py import no database code: an inspector's machine runs them.
"""
