"""Numbers: evaluation, the numeric reverse sweep, compiled kernels."""
