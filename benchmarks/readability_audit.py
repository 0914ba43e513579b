"""Readability audit: 50 textbook derivatives (none of them in tests/test_readability.py),
`str(sg.diff(f, "x"))` against SymPy's `str(sympy.diff(f, x))`.

Run: python benchmarks/readability_audit.py [-v]   (prints the rows that differ with -v)

Measured: 33/50 alike at 8b3e0d3; 44/50 with SymPy's sort keys, quotients, sqrt and the
normal-form rules (f161b25); 48/50 with the forward (chain-rule) sweep of `diff` and its
power rule's number taken into a short inner sum (readable2). Of the two that differ,
atan(y/x) prints the teacher's -y/(x**2 + y**2) (SymPy: -y/(x**2*(1 + y**2/x**2))), counted
as teacher-accepted; exp(x)/(1 + exp(x)) prints exp(x)**2 where SymPy writes exp(2*x) (a
node more in symgrad's DAG).
"""

from __future__ import annotations

import sys

import sympy

import symgrad as sg

# chain rule with roots, quotients of polynomials, trig powers, exp/log combos, inverse trig,
# hyperbolics, implicit-looking forms, rational functions of x and y (partials in x)
FUNCTIONS = [
    "sqrt(2*x + 3)", "sqrt(x**2 - 4)", "(x**2 + 1)**(1/3)", "1/sqrt(1 - x)", "x*sqrt(x + 1)",
    "sqrt(sin(x))", "(3*x - 1)**5", "(x**3 + 2*x)**4",
    "(x + 2)/(x - 3)", "(x**2 - 1)/(x**2 + 1)", "x**2/(x + 1)", "(2*x + 1)/(x**2 + 3)",
    "1/(x**2 - 4)", "x/(x**2 + 4)",
    "sin(x)**3", "tan(x)**2", "cos(2*x)**2", "sin(x)*cos(2*x)", "sin(x)**2*cos(x)", "tan(3*x)",
    "exp(3*x)*log(x)", "log(x**2 + x)", "exp(-x**2)", "x*exp(-2*x)", "log(log(x))",
    "exp(x)/(1 + exp(x))", "log(cos(x))", "x**2*log(x)",
    "asin(2*x)", "atan(x**2)", "acos(x/2)", "x*atan(x)", "atan(2*x + 1)",
    "sinh(2*x)", "cosh(x**2)", "tanh(3*x)", "x*sinh(x)", "log(cosh(x))",
    "x**2*y + y**3*x", "x*y/(x + y)", "(x - y)/(x + y)", "sin(x*y)", "exp(x*y)", "x**2 + x*y + y**2",
    "log(x**2 + y**2)", "sqrt(x**2 + y**2)", "x/y", "atan(y/x)",
    "3**x", "x**3*exp(x)",
]


# SymPy's text keeps a quotient inside a quotient; symgrad's is what a teacher writes.
TEACHER_ACCEPTED = {"atan(y/x)": "-y/(x**2 + y**2)"}


def teacher_accepted() -> int:
    """How many rows print differently from SymPy in the form TEACHER_ACCEPTED records."""
    return sum(str(sg.diff(text, "x")) == printed for text, printed in TEACHER_ACCEPTED.items())


def audit(verbose: bool = False) -> tuple[int, int]:
    X = sympy.Symbol("x")
    same = 0
    for text in FUNCTIONS:
        ours = str(sg.diff(text, "x"))
        theirs = str(sympy.diff(sg.parse(text).to_sympy(), X))
        same += ours == theirs
        if verbose and ours != theirs:
            print(f"{text:24} symgrad {ours:40} sympy {theirs}")
    return same, len(FUNCTIONS)


if __name__ == "__main__":
    matching, total = audit("-v" in sys.argv)
    print(f"{matching}/{total} print exactly as SymPy prints them; "
          f"{teacher_accepted()} more teacher-accepted")
