"""The DAG that `eval`, `sg.reverse` and every kernel compute: the user's DAG with rewrites that
change how a value is computed, never what it is. All of them call `numeric_form`, so they
keep giving the same numbers.

- `stable_logs`: with `e = exp(-z)` and `d = 1 + e`, the parts `sigmoid(z) = 1/d` already
  computes, `log(sigmoid(z))` is `-log(d)` and `log(1 - sigmoid(z))` is `-softplus(z)`,
  computed as `-min(max(z, -MAX) + log(d), 1/e)`. The logistic loss's value then takes one
  logarithm instead of two and no `1 - s` pass, and `log(1 - sigmoid(z))` is finite for
  every finite z: `1 - sigmoid(z)` rounds to 0 for z > 37 (this gives -z, not -inf). Where `e`
  overflows (z < -709) the bound `softplus(z) <= exp(z) = 1/e` gives -0, as the direct form
  does (`max` keeps z = -inf from making inf - inf). Elsewhere the forms agree with the
  direct ones to within an ulp or two of max(|z|, 1). `sigmoid(z)` keeps its bits
  (`1/(1 + exp(-z))` either way); a product with it divides by `d` (semantics.py).
  Signs multiply out: `-(y*log(s) + (1 - y)*log(1 - s))` is `y*log(d) + (1 - y)*softplus(z)`
  with no negation pass (negation is exact, so the bits are those of the negated form).
- `share_products` (semantics.py): factors several products share are multiplied once.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..core.expr import Expr, constant, exact_constant, make_node
from ..core.shapes import broadcast
from ..core.traverse import topological
from .semantics import scalar_constant, share_products

Rebuilt = dict[Expr, Expr]

# The bound `max` puts under z (the module docstring's MAX): any finite number does where
# exp(-z) overflows, and float32's largest stays finite when a float32 kernel casts it (float64's
# would round to -inf there, and -inf + inf is nan at z = -inf).
FINITE = float(np.finfo(np.float32).max)


def numeric_form(roots: list[Expr]) -> tuple[list[Expr], Rebuilt]:
    """`roots` as they are computed, and each original node's rebuilt node (empty when
    nothing changed). A rebuilt node has the original's value; a few (the `1 - sigmoid(z)`
    whose logarithm was rewritten) are not reached from the rebuilt roots."""
    order = topological(roots)
    stable, first = stable_logs(roots, order)
    shared, second = share_products(stable, None if first else order)
    if not first:
        return shared, second
    return shared, {node: second.get(middle, middle) for node, middle in first.items()}


def sigmoid_log(argument: Expr) -> tuple[Expr, bool] | None:
    """`(z, True)` for `sigmoid(z)`, `(z, False)` for `1 - sigmoid(z)`, else None."""
    if argument.op == "sigmoid":
        return argument.args[0], True
    if argument.op != "add" or len(argument.args) != 2:
        return None
    one, term = argument.args
    if scalar_constant(one) != 1.0 or term.op != "mul" or len(term.args) != 2:
        return None
    minus_one, sigmoid = term.args
    if scalar_constant(minus_one) != -1.0 or sigmoid.op != "sigmoid" or sigmoid.shape != argument.shape:
        return None
    return sigmoid.args[0], False


def stable_logs(roots: list[Expr], order: list[Expr]) -> tuple[list[Expr], Rebuilt]:
    """`roots` (in topological `order`) with the logarithms of sigmoids rewritten (module
    docstring), and each node's rebuilt node; `(roots, {})` when there is none."""
    logged = {found[0] for node in order if node.op == "log"
              for found in [sigmoid_log(node.args[0])] if found is not None}
    if not logged:
        return roots, {}
    new: Rebuilt = {}
    denominators: dict[Expr, Expr] = {}
    negated: dict[Expr, Expr] = {}  # each rewritten logarithm -> the value it negates
    for node in order:
        args = tuple(new[arg] for arg in node.args)
        found = sigmoid_log(node.args[0]) if node.op == "log" else None
        if found is not None:
            inner = _bounded_log(new[found[0]], found[1], denominators)
            new[node] = _negative(inner)
            negated[new[node]] = inner
        elif node.op == "sigmoid" and node.args[0] in logged:
            new[node] = _reciprocal(_denominator(args[0], denominators))
        elif node.op in ("mul", "add") and any(arg in negated for arg in args):
            positive, negative = _signs_out(node, args, negated)
            new[node] = _negative(positive) if negative else positive
            if negative:
                negated[new[node]] = positive
        elif args != node.args:
            new[node] = make_node(node.op, args, node.shape, node.params)
        else:
            new[node] = node
    return [new[root] for root in roots], new


def _signs_out(node: Expr, args: tuple[Expr, ...], negated: dict[Expr, Expr]) -> tuple[Expr, bool]:
    """A product or sum over rewritten logarithms as a sign and a value without negations
    (`-y*log(sigmoid(z))` is `y*log(d)`; a sum of negated terms is the negated sum), so no
    pass negates twice. Negation is exact and IEEE rounding symmetric: the same bits."""
    if node.op == "add":
        if not all(arg in negated for arg in args):
            return make_node("add", args, node.shape, node.params), False
        return make_node("add", tuple(negated[arg] for arg in args), node.shape), True
    factors: list[Expr] = []
    negative = False
    for arg in args:
        if arg in negated:
            factors.append(negated[arg])
            negative = not negative
        elif scalar_constant(arg) == -1.0:
            negative = not negative
        else:
            factors.append(arg)
    if not factors:
        return exact_constant(Fraction(1)), negative
    return (factors[0] if len(factors) == 1 else make_node("mul", tuple(factors), node.shape)), negative


def _bounded_log(z: Expr, of_sigmoid: bool, denominators: dict[Expr, Expr]) -> Expr:
    """`log(1 + exp(-z))` (of_sigmoid) or `softplus(z)`, from sigmoid's own parts."""
    denominator = _denominator(z, denominators)
    log_d = make_node("log", (denominator,), z.shape)
    if of_sigmoid:
        return log_d
    finite_z = _pair("max", z, constant(-FINITE))
    return _pair("min", _sum(finite_z, log_d), _reciprocal(denominator.args[1]))


def _denominator(z: Expr, made: dict[Expr, Expr]) -> Expr:
    """`1 + exp(-z)`, one node per z; its steps are sigmoid's own (negate, exp, add 1)."""
    if z not in made:
        exp = make_node("exp", (_negative(z),), z.shape)
        made[z] = make_node("add", (exact_constant(Fraction(1)), exp), z.shape)
    return made[z]


def _reciprocal(node: Expr) -> Expr:
    return make_node("pow", (node,), node.shape, (("exponent", Fraction(-1)),))


def _negative(node: Expr) -> Expr:
    return make_node("mul", (exact_constant(Fraction(-1)), node), node.shape)


def _sum(left: Expr, right: Expr) -> Expr:
    return _pair("add", left, right)


def _pair(op: str, left: Expr, right: Expr) -> Expr:
    return make_node(op, (left, right), broadcast(left.shape, right.shape))
