"""calsel: the subset of Calico's selector language the lab's translator enforces (cni2nft.py),
parsed independently of ztprobe's C evaluator.

  expr   := and ('||' and)*
  and    := unary ('&&' unary)*
  unary  := '!' unary | '(' expr ')' | 'all()' | 'has(' KEY ')' | KEY '==' STR | KEY '!=' STR
          | KEY 'in' SET | KEY 'not' 'in' SET
  SET    := '{' STR (',' STR)* '}'      STR: '...' or "..."

`!=` and `not in` also match a resource without the key, as in Calico. Anything else
(global(), contains, starts with, ends with, bare identifiers) raises ValueError with the column:
the lab refuses what it does not enforce rather than guess.
"""

import re

_TOKEN = re.compile(r"\s*(?:(?P<op>&&|\|\||==|!=|!|\(|\)|\{|\}|,)|(?P<str>'[^']*'|\"[^\"]*\")"
                    r"|(?P<word>[A-Za-z0-9_./-]+))")


def _tokens(text):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("selector %r: cannot read column %d" % (text, pos + 1))
        kind = m.lastgroup
        val = m.group(kind)
        out.append((kind, val[1:-1] if kind == "str" else val, m.start(kind) + 1))
        pos = m.end()
    out.append(("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, val=None):
        tok = self.toks[self.i]
        if (kind and tok[0] != kind) or (val is not None and tok[1] != val):
            raise ValueError("selector %r: column %d: expected %s, got %r"
                             % (self.text, tok[2], val or kind, tok[1] or "the end"))
        self.i += 1
        return tok

    def expr(self):
        terms = [self.conj()]
        while self.peek()[1] == "||":
            self.take()
            terms.append(self.conj())
        return terms[0] if len(terms) == 1 else (lambda l, ts=terms: any(t(l) for t in ts))

    def conj(self):
        terms = [self.unary()]
        while self.peek()[1] == "&&":
            self.take()
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else (lambda l, ts=terms: all(t(l) for t in ts))

    def strset(self):
        self.take("op", "{")
        vals = [self.take("str")[1]]
        while self.peek()[1] == ",":
            self.take()
            vals.append(self.take("str")[1])
        self.take("op", "}")
        return set(vals)

    def unary(self):
        val = self.peek()[1]
        if val == "!":
            self.take()
            inner = self.unary()
            return lambda l: not inner(l)
        if val == "(":
            self.take()
            inner = self.expr()
            self.take("op", ")")
            return inner
        key = self.take("word")[1]
        if key in ("all", "has") and self.peek()[1] == "(":
            self.take()
            if key == "all":
                self.take("op", ")")
                return lambda l: True
            name = self.take("word")[1]
            self.take("op", ")")
            return lambda l: name in l
        op = self.take()
        if op[1] == "==":
            v = self.take("str")[1]
            return lambda l: l.get(key) == v
        if op[1] == "!=":
            v = self.take("str")[1]
            return lambda l: l.get(key) != v
        if op[1] == "in":
            s = self.strset()
            return lambda l: key in l and l[key] in s
        if op[1] == "not":
            self.take("word", "in")
            s = self.strset()
            return lambda l: key not in l or l[key] not in s
        raise ValueError("selector %r: column %d: %r after %r is not enforced by the lab"
                         % (self.text, op[2], op[1] or "the end", key))


def compile_selector(text):
    """A predicate over a label map for a Calico selector expression; ValueError if the lab does
    not enforce it."""
    if not isinstance(text, str):
        raise ValueError("selector must be a string: %r" % (text,))
    if not text.strip():
        return lambda l: True  # an empty selector is all()
    p = _Parser(text)
    fn = p.expr()
    p.take("end")
    return fn
