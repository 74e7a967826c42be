"""Stock licences (存量证照): checking and normalising rows from legacy files (Art. 12, 14).

Pure: no file or database access. :mod:`ledger.stock.values` turns raw cell values into
clean text, dates and codes (saying what it changed); :mod:`ledger.stock.rows` checks
one row against a catalogue entry and the rows seen before it. Reading workbooks and
issuing the commands happen at the edge (:mod:`commands.stock_import`).
"""
