"""The expression grammar, shipped inside the installed package as `symgrad.grammar`."""
