"""Archive transfer (Art. 13, 27): a month as a BagIt package, and its offline check."""
