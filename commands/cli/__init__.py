"""The command line (`ledger …`): arguments into commands and queries, results into output."""
