"""The small language of typed activations: text -> :mod:`ast` -> SymPy, nothing evaluated.

Allowed: the variable ``x``, ``pi``, numbers, ``+ - * / **``, parentheses and the functions of
:data:`FUNCTIONS`. Every constant sub-expression is mirrored by a Python float as it is built, so
a number that is not finite, not real or larger than :data:`MAX_CONSTANT` is refused before SymPy
is asked to compute it (``((9**64)**64)**64`` would otherwise keep it busy for minutes).
"""

from __future__ import annotations

import ast
import math

import sympy as sp

X = sp.Symbol("x", real=True)
MAX_LENGTH = 200  # characters
MAX_DEPTH = 12  # nesting of calls and of different operations; a chain x + x + ... counts once
MAX_EXPONENT = 64  # a constant exponent of x larger than this is refused
MAX_CONSTANT = 1e300  # a constant sub-expression larger in magnitude is refused


def sigmoid(a):
    return 1 / (1 + sp.exp(-a))


def softplus(a):
    return sp.log(1 + sp.exp(a))


def float_sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v > -700 else 0.0


def float_softplus(v):
    return math.log1p(math.exp(v)) if v < 700 else v


def float_sign(v):
    return float((v > 0) - (v < 0))


FUNCTIONS = {  # name: (SymPy builder, allowed numbers of arguments)
    "exp": (sp.exp, (1,)),
    "log": (sp.log, (1,)),
    "sqrt": (sp.sqrt, (1,)),
    "abs": (sp.Abs, (1,)),
    "tanh": (sp.tanh, (1,)),
    "sinh": (sp.sinh, (1,)),
    "cosh": (sp.cosh, (1,)),
    "sin": (sp.sin, (1,)),
    "cos": (sp.cos, (1,)),
    "erf": (sp.erf, (1,)),
    "sigmoid": (sigmoid, (1,)),
    "softplus": (softplus, (1,)),
    "max": (sp.Max, (2, 3)),
    "min": (sp.Min, (2, 3)),
    "heaviside": (lambda a: sp.Heaviside(a, sp.S.Half), (1,)),
    "sign": (sp.sign, (1,)),
}
FLOAT_FUNCTIONS = {  # the same functions on Python floats, for constant arguments
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "sin": math.sin,
    "cos": math.cos,
    "erf": math.erf,
    "sigmoid": float_sigmoid,
    "softplus": float_softplus,
    "max": max,
    "min": min,
    "heaviside": lambda v: 0.5 if v == 0 else float(v > 0),
    "sign": float_sign,
}
OPERATORS = {  # ast operator: (SymPy, float)
    ast.Add: (lambda a, b: a + b, lambda a, b: a + b),
    ast.Sub: (lambda a, b: a - b, lambda a, b: a - b),
    ast.Mult: (lambda a, b: a * b, lambda a, b: a * b),
    ast.Div: (lambda a, b: a / b, lambda a, b: a / b),
    ast.Pow: (sp.Pow, lambda a, b: a**b),
}
FAMILY = {ast.Add: "+", ast.Sub: "+", ast.Mult: "*", ast.Div: "*"}
BAD_ATOMS = (sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I)


def refuse(node, what):
    where = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
    raise ValueError(
        f"{what} is not allowed{where}; use x, numbers, + - * / **, parentheses and "
        f"the functions {', '.join(sorted(FUNCTIONS))}"
    )


def checked_value(node, source, compute):
    """The float ``compute()`` returns for a constant node, or a refusal saying why not."""
    segment = (ast.get_source_segment(source, node) or "?")[:40]
    try:
        value = compute()
    except ZeroDivisionError:
        refuse(node, f"{segment} (a division by zero)")
    except OverflowError:
        refuse(node, f"{segment} (a number beyond ±{MAX_CONSTANT:g})")
    except ValueError:
        refuse(node, f"{segment} (not a real number)")
    if isinstance(value, complex):
        refuse(node, f"{segment} (not a real number)")
    if not math.isfinite(value) or abs(value) > MAX_CONSTANT:
        refuse(node, f"{segment} (a number beyond ±{MAX_CONSTANT:g})")
    return float(value)


def clipped(text, width):
    """``text`` cut to ``width`` characters, the last an ellipsis when something was cut.

    >>> clipped("x**72", 40), clipped("6400000000000000000000000000000000000001/10", 12)
    ('x**72', '64000000000…')
    """
    return text if len(text) <= width else text[: width - 1] + "…"


def beyond_limit(exponent):
    """Whether an exponent is a constant whose exact value is beyond ``MAX_EXPONENT``.

    SymPy compares it exactly, with as many digits as it needs: ``64 + sqrt(2)*1e-29`` is beyond.
    An exponent with ``x`` in it, or a constant SymPy cannot tell from 64 (``cos(1)**2 +
    sin(1)**2 + 63`` is 64, which it cannot prove), leaves the comparison undecided: not beyond.
    """
    try:
        return bool(abs(exponent) > MAX_EXPONENT)
    except TypeError:  # SymPy cannot decide the comparison
        return False


def too_large_exponent(exact, value):
    """Whether a constant exponent is beyond ``MAX_EXPONENT``, by its float or its exact value.

    The float alone can miss one: in ``1e300 + 65 - 1e300`` the 65 is lost to rounding, but the
    exact sum that SymPy keeps is 65 (and stays 65 times ``(sqrt(2) + 1) * (sqrt(2) - 1)``).
    """
    return abs(value) > MAX_EXPONENT or beyond_limit(exact)


def check_powers(expr):
    """Refuse an expression whose powers, once SymPy has combined them, pass ``MAX_EXPONENT``:
    ``(x**8)**9`` is ``x**72`` and ``x**64 * x**64`` is ``x**128``, each factor within it."""
    for power in expr.atoms(sp.Pow):
        if beyond_limit(power.exp):
            raise ValueError(
                f"text raises to the power {clipped(sp.sstr(power.exp), 40)} once its powers "
                f"are combined ({clipped(sp.sstr(power), 60)}); at most {MAX_EXPONENT} is allowed"
            )


def build(node, source, depth=0):
    """``(expr, value)``: the SymPy expression of ``node``, and its float if it is constant."""
    if depth > MAX_DEPTH:
        raise ValueError(f"the expression nests deeper than {MAX_DEPTH} levels")
    expr, value = build_node(node, source, depth)
    if value is None and not expr.free_symbols:  # x cancelled out, as in x - x
        if expr.has(*BAD_ATOMS):
            refuse(node, f"{ast.get_source_segment(source, node)} (undefined: {expr})")
        value = checked_value(node, source, lambda: complex(expr.evalf(20)).real)
    elif expr.has(*BAD_ATOMS):
        refuse(node, f"{ast.get_source_segment(source, node)} (undefined: {expr})")
    return expr, value


def build_node(node, source, depth):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            refuse(node, f"the constant {node.value!r}")
        value = checked_value(node, source, lambda: float(node.value))
        exact = sp.Integer(node.value) if isinstance(node.value, int) else sp.Rational(repr(value))
        return exact, value
    if isinstance(node, ast.Name):
        if node.id == "x":
            return X, None
        if node.id == "pi":
            return sp.pi, math.pi
        refuse(node, f"the name {node.id!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand, value = build(node.operand, source, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return operand, value
        return -operand, None if value is None else -value
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        family = FAMILY.get(type(node.op))
        chained = family is not None and FAMILY.get(type(getattr(node.left, "op", None))) == family
        left, a = build(node.left, source, depth if chained else depth + 1)
        right, b = build(node.right, source, depth + 1)
        symbolic, numeric = OPERATORS[type(node.op)]
        if isinstance(node.op, ast.Pow) and b is not None and too_large_exponent(right, b):
            shown = sp.sstr(right)  # as SymPy holds it, or as typed when that is too long
            if len(shown) > 40:
                shown = (ast.get_source_segment(source, node.right) or "?")[:40]
            refuse(node, f"an exponent of {shown}")
        if a is not None and b is not None:
            value = checked_value(node, source, lambda: numeric(a, b))
            return symbolic(left, right), value
        if isinstance(node.op, ast.Div) and b == 0:
            refuse(node, f"{ast.get_source_segment(source, node)} (a division by zero)")
        return symbolic(left, right), None
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS or node.keywords:
            what = "this call" if name is None else f"the function {name!r}"
            refuse(node, what + (" with keywords" if name in FUNCTIONS else ""))
        builder, counts = FUNCTIONS[name]
        if len(node.args) not in counts:
            refuse(node, f"{name} with {len(node.args)} argument(s)")
        parts = [build(a, source, depth + 1) for a in node.args]
        expr = builder(*(p[0] for p in parts))
        if all(p[1] is not None for p in parts):
            value = checked_value(
                node, source, lambda: FLOAT_FUNCTIONS[name](*(p[1] for p in parts))
            )
            return expr, value
        return expr, None
    refuse(node, f"{type(node).__name__} ({ast.get_source_segment(source, node) or '?'})")


def expression(text: str) -> sp.Expr:
    """The SymPy expression in ``x`` that ``text`` describes (run it within the time budget)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"text is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    if not text.strip():
        raise ValueError("text is empty; write an expression in x, such as max(0, x)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        column = f" at column {err.offset}" if getattr(err, "offset", None) else ""
        raise ValueError(f"text is not an expression{column}: {getattr(err, 'msg', err)}") from None
    expr = sp.sympify(build(tree.body, text.strip())[0])
    check_powers(expr)
    if not expr.has(X):
        raise ValueError(f"text must depend on x; {text!r} is the constant {expr}")
    return expr
