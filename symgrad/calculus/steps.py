"""Derivations as a textbook writes them: one differentiation rule per step.

`steps(expr, wrt)` walks the expression from the outside in (an explicit stack, so a chain
10,000 functions deep is fine). Each step names its rule (sum rule, constant multiple, power,
product, quotient, chain rule with the outer function's derivative, ...) and writes the
derivative of one subexpression in terms of the derivatives of its parts, `d/dx[u]`; those
become later steps. The results are then assembled from the inside out, and the last line is
the derivative, which equals `sg.diff(expr, wrt)` (perhaps in another but equal form).
The outer derivative of each elementary function comes from its rule in the operation table,
so every function symgrad knows has a step.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Union

from .differentiate import sole_symbol
from ..core.errors import ArgumentError
from ..core.expr import Expr, apply, constant, constant_name, constant_value, symbol
from ..language.parse import as_expression
from ..language.printing import TextPrinter, to_latex, to_text
from .differentiate import SYMBOLIC, diff

MAX_SHOWN = 40       # steps printed; the rest are summarised by rule
MAX_TEXT = 163       # characters of one rendered expression, "..." included when it is cut


@dataclass(frozen=True, slots=True)
class Ref:
    """`d/dx[part]` inside a formula: the derivative of `part`, a later step."""

    part: Expr


Factor = Union[Expr, Ref]


@dataclass(frozen=True, slots=True)
class Formula:
    """A sum of signed products of factors, over an optional denominator."""

    terms: tuple[tuple[int, tuple[Factor, ...]], ...]
    denominator: Expr | None = None

    @property
    def parts(self) -> list[Expr]:
        """The subexpressions whose derivatives this formula needs, in order."""
        found: list[Expr] = []
        for _, factors in self.terms:
            found.extend(f.part for f in factors if isinstance(f, Ref) and f.part not in found)
        return found


@dataclass(frozen=True, slots=True)
class Step:
    """d/dx[subject] = formula (by `rule`, an instance of `law`) = result."""

    number: int
    subject: Expr
    rule: str
    law: str
    formula: Formula
    result: Expr

    def __repr__(self) -> str:
        # Bounded: a step of a deep DAG would otherwise print its whole subject and result.
        return (f"Step({self.number}, {self.rule!r}, subject={_short(self.subject)}, "
                f"result={_short(self.result)})")


REPR_LENGTH = 80  # characters of an expression in a repr


def _short(expr: Expr) -> str:
    return repr(to_text(expr, REPR_LENGTH))


@dataclass(frozen=True, slots=True)
class Derivation:
    """The derivation of d expr / d wrt: `steps` in order, ending at `result`.

    `str()` gives text, `latex()` an `aligned` block; both show the first MAX_SHOWN steps
    and summarise the rest.
    """

    expr: Expr
    wrt: str
    steps: tuple[Step, ...]
    result: Expr

    def __str__(self) -> str:
        return render_text(self)

    def latex(self) -> str:
        """The derivation as a LaTeX `aligned` environment, one line per step."""
        return render_latex(self)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def __repr__(self) -> str:
        return (f"Derivation(d/d{self.wrt} {_short(self.expr)}, {len(self.steps)} steps, "
                f"result={_short(self.result)})")


# -- which rule applies -------------------------------------------------------------------------------
class _Dependence:
    """Whether an expression depends on the variable, memoised; linear work over a whole run."""

    def __init__(self, variable: Expr) -> None:
        self.known: dict[Expr, bool] = {variable: True}

    def __call__(self, node: Expr) -> bool:
        stack = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if current in self.known:
                continue
            if expanded:
                self.known[current] = any(self.known[arg] for arg in current.args)
                continue
            stack.append((current, True))
            stack.extend((arg, False) for arg in current.args if arg not in self.known)
        return self.known[node]


Rule = tuple[str, str, Formula]


def _single(*factors: Factor) -> Formula:
    return Formula(((1, factors),))


def _product(factors: list[Expr]) -> Expr:
    return apply("mul", *factors) if len(factors) > 1 else (factors[0] if factors else constant(1))


def _rule(node: Expr, x: Expr, depends: _Dependence) -> Rule:
    """The rule for d/dx[node], as (name, law, formula)."""
    if node is x:
        return "variable rule", f"d/d{x.name} {x.name} = 1", _single(constant(1))
    if not depends(node):
        return "constant rule", "d/dx c = 0 for c free of x".replace("x", x.name or "x"), Formula(())
    if node.op == "add":
        return _sum_rule(node)
    if node.op == "mul":
        return _product_rules(node, x, depends)
    if node.op == "pow":
        return _power_rule(node, x)
    if node.op == "power":
        return _general_power(node, x, depends)
    if node.spec.elementwise:
        return _function_rule(node, x, depends)
    return (f"derivative of {node.op}", f"from the table of {node.op}", _single(diff(node, x)))


def _sum_rule(node: Expr) -> Rule:
    terms = []
    # Constants last, as a textbook writes x**2 - 5; a negative term appears as a difference.
    for term in sorted(node.args, key=lambda t: t.op == "const"):
        coefficient = term.args[0] if term.op == "mul" else term
        negative = coefficient.op == "const" and coefficient.shape == () and \
            float(coefficient.value) < 0  # type: ignore[arg-type]
        terms.append((-1, (Ref(-term),)) if negative else (1, (Ref(term),)))
    return "sum rule", "(u + v)' = u' + v'", Formula(tuple(terms))


def _product_rules(node: Expr, x: Expr, depends: _Dependence) -> Rule:
    constant_part = [f for f in node.args if not depends(f)]
    varying = [f for f in node.args if depends(f)]
    if constant_part:
        rest = _product(varying)
        return "constant multiple rule", "(c*u)' = c*u'", _single(_product(constant_part), Ref(rest))
    bottom = [f for f in varying if f.op == "pow" and float(f.kwargs["exponent"]) < 0]
    top = [f for f in varying if f not in bottom]
    if bottom and top:
        u = _product(top)
        v = _product([f.args[0] ** -f.kwargs["exponent"] for f in bottom])
        formula = Formula(((1, (Ref(u), v)), (-1, (u, Ref(v)))), v ** 2)
        return "quotient rule", "(u/v)' = (u'*v - u*v')/v**2", formula
    terms = tuple((1, tuple(Ref(f) if i == j else f for j, f in enumerate(varying)))
                  for i in range(len(varying)))
    law = "(u*v)' = u'*v + u*v'" if len(varying) == 2 else "(u*v*w)' = u'*v*w + u*v'*w + u*v*w'"
    return "product rule", law, Formula(terms)


def _power_rule(node: Expr, x: Expr) -> Rule:
    base, exponent = node.args[0], node.kwargs["exponent"]  # a Fraction when exact
    outer = constant(exponent) * base ** (exponent - 1)
    if base is x:
        return "power rule", "(x**n)' = n*x**(n-1)".replace("x", x.name or "x"), _single(outer)
    return "chain rule with the power rule", "(u**n)' = n*u**(n-1)*u'", _single(outer, Ref(base))


def _general_power(node: Expr, x: Expr, depends: _Dependence) -> Rule:
    base, exponent = node.args
    if not depends(exponent):
        outer = exponent * base ** (exponent - 1)
        law = "(u**c)' = c*u**(c-1)*u'"
        return "power rule", law, _single(outer) if base is x else _single(outer, Ref(base))
    logarithm = constant(1) if constant_name(base) == "E" else apply("log", base)
    if not depends(base):
        return "exponential rule", "(a**u)' = a**u*log(a)*u'", _single(node, logarithm, Ref(exponent))
    formula = Formula(((1, (node, logarithm, Ref(exponent))), (1, (node, exponent / base, Ref(base)))))
    return "general power rule", "(u**v)' = u**v*(v'*log(u) + v*u'/u)", formula


def _outer_derivatives(node: Expr) -> tuple[Any, ...]:
    return node.spec.grad(SYMBOLIC, constant(1), node, *node.args, **node.kwargs)  # type: ignore[misc]


def _function_rule(node: Expr, x: Expr, depends: _Dependence) -> Rule:
    partials = _outer_derivatives(node)
    terms = tuple((1, ((partial,) if arg is x else (partial, Ref(arg))))
                  for arg, partial in zip(node.args, partials)
                  if partial is not None and depends(arg))
    name = node.op
    if len(node.args) > 1:
        count = len(node.args)
        letters = list("abcdefgh"[:count]) if count <= 8 else [f"a{i + 1}" for i in range(count)]
        law = f"d {name}({', '.join(letters)}) = " + " + ".join(
            f"d{name}/d{letter}*{letter}'" for letter in letters)
        return f"chain rule for {name}", law, Formula(terms)
    law = _law(node, x)
    return (f"derivative of {name}" if node.args[0] is x else "chain rule"), law, Formula(terms)


def _law(node: Expr, x: Expr) -> str:
    """`sin(u)' = cos(u)*u'`: the table's rule for the outer function, written with `u`
    (or with the variable itself when the function is applied to it directly)."""
    direct = node.args[0] is x
    u = x if direct else symbol("w" if x.name == "u" else "u")
    outer = apply(node.op, u, **node.kwargs)
    (partial,) = _outer_derivatives(outer)
    text = "0" if partial is None else _wrapped(partial)
    return f"{outer}' = {text}" if direct else f"{outer}' = {text}*{u.name}'"


def _wrapped(expr: Expr) -> str:
    text = to_text(expr)
    return f"({text})" if expr.op == "add" else text


# -- the walk -------------------------------------------------------------------------------------
def steps(expr: Any, wrt: str | Expr) -> Derivation:
    """The derivation of d expr / d wrt, rule by rule, ending at the derivative.

    `expr` may be a string (parsed) or an Expr; `wrt` names a scalar variable (one that
    `expr` does not use gives the constant rule and 0, as `diff` does).
    """
    expr = as_expression(expr)
    x = _variable(expr, wrt)
    depends = _Dependence(x)
    rules: dict[Expr, Rule] = {}
    results: dict[Expr, Expr] = {x: constant(1)}
    order: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            results[node] = _assemble(rules[node][2], results)
            continue
        if node in rules or (node is x and node is not expr):
            continue
        rules[node] = _rule(node, x, depends)
        order.append(node)
        stack.append((node, True))
        stack.extend((part, False) for part in reversed(rules[node][2].parts) if part not in rules)
    made = tuple(Step(number, node, *rules[node], results[node])
                 for number, node in enumerate(order, start=1))
    return Derivation(expr, x.name or "", made, results[expr])


def _variable(expr: Expr, wrt: str | Expr) -> Expr:
    if not isinstance(wrt, (str, Expr)):
        raise ArgumentError(f"wrt must be a variable name, not {wrt!r}")
    x = sole_symbol(expr, wrt)  # a name `expr` does not use: the constant rule, result 0
    if x.shape != ():
        raise ArgumentError(f"steps differentiates by a scalar variable; {x.name} has shape {x.shape}")
    return x


def _assemble(formula: Formula, results: dict[Expr, Expr]) -> Expr:
    """The value of `formula` once the derivatives of its parts are known."""
    terms = []
    for sign, factors in formula.terms:
        term = _product([results[f.part] if isinstance(f, Ref) else f for f in factors])
        terms.append(-term if sign < 0 else term)
    total = apply("add", *terms) if len(terms) > 1 else (terms[0] if terms else constant(0))
    return total if formula.denominator is None else total / formula.denominator


# -- rendering --------------------------------------------------------------------------------------
class _Clipper:
    """Text of expressions cut at MAX_TEXT characters, from one TextPrinter shared by every
    expression of a derivation: time linear in the DAG, not in the length of the full texts
    (which a deep chain with sharing makes quadratic or worse)."""

    def __init__(self) -> None:
        self.printer = TextPrinter()

    def text(self, expr: Expr) -> str:
        """`to_text(expr)`, ending in "..." past MAX_TEXT characters."""
        return self.printer(expr, MAX_TEXT)

    def latex(self, expr: Expr) -> str:
        """`to_latex(expr)` when the expression is short, else its cut text."""
        text = self.text(expr)
        # Only a cut text ends in "...": no expression's own text does.
        if text.endswith("..."):
            return r"\text{" + text.replace("\\", "").replace("{", "").replace("}", "") + "}"
        return to_latex(expr)


def _factor_text(factor: Factor, name: str, first: bool, clip: _Clipper) -> str:
    if isinstance(factor, Ref):
        return f"d/d{name}[{clip.text(factor.part)}]"
    text = clip.text(factor)
    return f"({text})" if factor.op == "add" or (text.startswith("-") and not first) else text


def _shown_factors(factors: tuple[Factor, ...]) -> list[Factor]:
    kept = [f for f in factors if not (isinstance(f, Expr) and f.op == "const" and f.shape == ()
                                       and float(f.value) == 1.0)]  # type: ignore[arg-type]
    return kept or list(factors[:1])


def _signed_sum(terms: list[tuple[int, str]]) -> str:
    """`a - b + c` from (sign, text) pairs."""
    (sign, text), rest = terms[0], terms[1:]
    return ("-" if sign < 0 else "") + text + "".join(
        (" - " if sign < 0 else " + ") + text for sign, text in rest)


def formula_text(formula: Formula, name: str, clip: _Clipper | None = None) -> str:
    """`cos(x**2)*d/dx[x**2]`: a formula as text."""
    clip = clip or _Clipper()
    if not formula.terms:
        return "0"
    text = _signed_sum([(sign, "*".join(_factor_text(f, name, i == 0, clip)
                                        for i, f in enumerate(_shown_factors(factors))))
                        for sign, factors in formula.terms])
    if formula.denominator is None:
        return text
    denominator = clip.text(formula.denominator)
    if formula.denominator.op in ("add", "mul"):
        denominator = f"({denominator})"
    return f"({text})/{denominator}"


def render_text(derivation: Derivation) -> str:
    """The derivation as numbered text steps."""
    clip = _Clipper()
    name = derivation.wrt
    lines = [f"d/d{name} {clip.text(derivation.expr)}"]
    for step in derivation.steps[:MAX_SHOWN]:
        left = f"d/d{name}[{clip.text(step.subject)}]"
        lines.append(f"  {step.number}. {step.rule}: {step.law}")
        formula = formula_text(step.formula, name, clip)
        lines.append(f"     {left} = {formula}")
        result = clip.text(step.result)
        if result != formula:
            lines.append(" " * (len(left) + 6) + f"= {result}")
    lines.extend(_summary(derivation.steps[MAX_SHOWN:]))
    lines.append(f"result: d/d{name} {clip.text(derivation.expr)} = {clip.text(derivation.result)}")
    return "\n".join(lines)


def _summary(rest: tuple[Step, ...]) -> list[str]:
    if not rest:
        return []
    counts = Counter(step.rule for step in rest)
    listed = ", ".join(f"{count} x {rule}" for rule, count in counts.most_common())
    return [f"  ... {len(rest)} more steps: {listed}"]


def _latex_factor(factor: Factor, name: str, clip: _Clipper) -> str:
    if isinstance(factor, Ref):
        return rf"\frac{{d}}{{d{name}}}\left[{clip.latex(factor.part)}\right]"
    text = clip.latex(factor)
    return rf"\left({text}\right)" if factor.op == "add" or text.startswith("-") else text


def formula_latex(formula: Formula, name: str, clip: _Clipper | None = None) -> str:
    """A formula as LaTeX."""
    clip = clip or _Clipper()
    if not formula.terms:
        return "0"
    text = _signed_sum([(sign, r" \cdot ".join(_latex_factor(f, name, clip)
                                               for f in _shown_factors(factors)))
                        for sign, factors in formula.terms])
    if formula.denominator is None:
        return text
    return rf"\frac{{{text}}}{{{clip.latex(formula.denominator)}}}"


def render_latex(derivation: Derivation) -> str:
    """The derivation as a LaTeX `aligned` block."""
    clip = _Clipper()
    name = derivation.wrt
    lines = [r"\begin{aligned}"]
    for step in derivation.steps[:MAX_SHOWN]:
        left = rf"\frac{{d}}{{d{name}}}\left[{clip.latex(step.subject)}\right]"
        lines.append(rf"{left} &= {formula_latex(step.formula, name, clip)} "
                     rf"&& \text{{{step.number}. {step.rule}}} \\")
        lines.append(rf"&= {clip.latex(step.result)} \\")
    rest = derivation.steps[MAX_SHOWN:]
    if rest:
        lines.append(rf"&\vdots && \text{{{len(rest)} more steps}} \\")
    lines.append(rf"\frac{{d}}{{d{name}}}\left[{clip.latex(derivation.expr)}\right] &= "
                 rf"{clip.latex(derivation.result)}")
    lines.append(r"\end{aligned}")
    return "\n".join(lines)
