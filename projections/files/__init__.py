"""Licence files with I/O: fonts, rendering (PDF, OFD), signing, the file store, and the
check of a presented file's bytes. The pure parts are in :mod:`ledger.files`."""
