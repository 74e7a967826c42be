"""Licence files (Art. 3, 20): the face, PDF and OFD rendering, file signing, and verification.

The face model and the OFD XML are pure; rendering, signing and the file store read
fonts, keys and disks. Files are recorded in the ledger by signed commands (the service).
"""
