"""Text in and out: the parser, the printers, the SymPy bridge."""
