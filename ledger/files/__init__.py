"""Licence files (Art. 3, 20): the face model, its page layout, OFD XML, file records and
the verdict on a presented file. Pure: no I/O, no clock; rendering and signing, which
read fonts and keys, live in :mod:`projections.files`."""
