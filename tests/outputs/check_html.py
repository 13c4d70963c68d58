#!/usr/bin/python3
"""check_html.py: `ztprobe merge -o html` as a browser read it.

  page PAGE.html
      the page as written: self-contained (no script, no element or attribute that loads
      anything, no CSS url()), a Content-Security-Policy that forbids both anyway, lang and a
      title; the verdict colours reach WCAG AA contrast (4.5:1) with their text
  dom DOM.html REPORT.json...
      the DOM Chromium built (--dump-dom): one matrix table with a caption, column headers
      with scope="col", one row per report with a scope="row" header naming role and pod, and
      for every result of every report one probe entry in that row whose text has the probe's
      name, its verdict word, expectation and outcome, and (reports of run --policies) for a
      probe that did not pass one "Policies: INTENDED: REASON" line, for the others none; no
      script element, no on* attribute
  text DOM.html STRING...
      each STRING (JSON-encoded) occurs in the DOM's text, i.e. was shown, not parsed as markup
  png PNG W H COLOUR...
      the screenshot is W x H and has pixels of every COLOUR (#rrggbb): the verdict colours
      were painted

Each prints nothing and exits 0 when the check holds, else prints why and exits 1.
"""

import html.parser
import json
import re
import struct
import sys
import zlib


def fail(msg):
    print(msg)
    sys.exit(1)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids = tag, dict(attrs), parent, []

    def text(self):
        return "".join(k if isinstance(k, str) else k.text() for k in self.kids)

    def find(self, tag=None, cls=None):
        out = []
        for k in self.kids:
            if isinstance(k, Node):
                if (tag is None or k.tag == tag) and (cls is None or cls in (k.attrs.get("class") or "").split()):
                    out.append(k)
                out.extend(k.find(tag, cls))
        return out


VOID = {"meta", "br", "img", "link", "input", "hr", "wbr", "source", "area", "base", "col", "embed"}


class Tree(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root
        self.all = []

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        self.all.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_endtag(self, tag):
        c = self.cur
        while c is not self.root and c.tag != tag:
            c = c.parent
        if c is not self.root:
            self.cur = c.parent

    def handle_data(self, data):
        self.cur.kids.append(data)


def parse(path):
    t = Tree()
    t.feed(open(path, encoding="utf-8").read())
    t.close()
    return t


def no_active(t):
    for n in t.all:
        if n.tag in ("script", "iframe", "object", "embed", "img", "link", "base", "frame", "audio", "video", "source"):
            fail("element <%s> in the page" % n.tag)
        for a in n.attrs:
            if a.startswith("on") or a in ("src", "href", "srcset", "action", "formaction", "background"):
                fail("attribute %s on <%s>" % (a, n.tag))


def luminance(hexcol):
    rgb = [int(hexcol[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_page(path):
    raw = open(path, encoding="utf-8").read()
    t = parse(path)
    no_active(t)
    if re.search(r"url\s*\(|@import", raw, re.I):
        fail("CSS loads something (url() or @import)")
    csp = [n for n in t.all if n.tag == "meta" and (n.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
    if not csp or "default-src 'none'" not in csp[0].attrs.get("content", "") or "script-src" in csp[0].attrs.get("content", ""):
        fail("no Content-Security-Policy with default-src 'none' (and no script-src)")
    htmls = [n for n in t.all if n.tag == "html"]
    if not htmls or htmls[0].attrs.get("lang") != "en":
        fail("<html> without lang")
    if not [n for n in t.all if n.tag == "title" and n.text().strip()]:
        fail("no title")
    style = "".join(n.text() for n in t.all if n.tag == "style")
    for v in ("pass", "fail", "inconclusive"):
        m = re.search(r"\.v-%s \.verdict\{background:(#[0-9a-f]{6})\}" % v, style)
        p = re.search(r"\.v-%s\.probe\{background:(#[0-9a-f]{6})" % v, style)
        if not m or not p:
            fail("no colours for %s in the style" % v)
        if contrast(m.group(1), "#ffffff") < 4.5:
            fail("%s: white on %s is below 4.5:1" % (v, m.group(1)))
        if contrast(p.group(1), "#1a1a1a") < 4.5:
            fail("%s: text on %s is below 4.5:1" % (v, p.group(1)))


def check_dom(path, reports):
    t = parse(path)
    no_active(t)
    tables = [n for n in t.all if n.tag == "table"]
    if len(tables) != 1:
        fail("%d tables, want the one matrix" % len(tables))
    tab = tables[0]
    if not tab.find("caption") or not tab.find("caption")[0].text().strip():
        fail("table without caption")
    heads = tab.find("thead")[0].find("th")
    if not heads or any(h.attrs.get("scope") != "col" for h in heads):
        fail("column headers without scope=col")
    rows = tab.find("tbody")[0].find("tr")
    reps = [json.load(open(p, encoding="utf-8", errors="replace")) for p in reports]
    if len(rows) != len(reps):
        fail("%d rows for %d reports" % (len(rows), len(reps)))
    for row, rep in zip(rows, reps):
        th = [k for k in row.kids if isinstance(k, Node) and k.tag == "th"]
        if len(th) != 1 or th[0].attrs.get("scope") != "row":
            fail("row of %s: no single scope=row header" % rep["role"])
        if rep["role"] not in th[0].text() or (rep["pod"]["name"] or "") not in th[0].text():
            fail("row header %r does not name role %r and pod %r" % (th[0].text(), rep["role"], rep["pod"]["name"]))
        cells = [k for k in row.kids if isinstance(k, Node) and k.tag == "td"]
        if len(cells) != len(heads) - 1:
            fail("row %s: %d cells for %d targets" % (rep["role"], len(cells), len(heads) - 1))
        probes = row.find("div", "probe")
        if len(probes) != len(rep["results"]):
            fail("row %s: %d probe entries for %d results" % (rep["role"], len(probes), len(rep["results"])))
        for res in rep["results"]:
            hit = [p for p in probes if p.find("strong", "name") and p.find("strong", "name")[0].text() == res["name"]]
            if len(hit) != 1:
                fail("row %s: probe %r shown %d times" % (rep["role"], res["name"], len(hit)))
            p = hit[0]
            word = p.find("span", "verdict")[0].text()
            txt = p.text()
            if word != res["verdict"] or "v-" + res["verdict"] not in p.attrs.get("class", ""):
                fail("%s/%s: verdict %r (class %r), want %r" % (rep["role"], res["name"], word, p.attrs.get("class"), res["verdict"]))
            for want in ("expect " + res["expect"], "outcome " + res["outcome"]):
                if want not in txt:
                    fail("%s/%s: %r not in %r" % (rep["role"], res["name"], want, txt))
            if res.get("hint") and "Hint:" not in txt:
                fail("%s/%s: hint not shown" % (rep["role"], res["name"]))
            # run --policies: a probe that did not pass shows what the policies intend and why.
            pol, shown = res.get("policy"), [d.text() for d in p.find("div", "policy")]
            if pol and res["verdict"] != "pass":
                want = "Policies: %s%s" % (pol["intended"], ": " + pol["reason"] if pol.get("reason") else "")
                if shown != [want]:
                    fail("%s/%s: policy line %r, want [%r]" % (rep["role"], res["name"], shown, want))
            elif shown:
                fail("%s/%s: a policy line %r where none belongs" % (rep["role"], res["name"], shown))


def check_text(path, strings):
    t = parse(path)
    no_active(t)
    body = t.root.text()
    for s in strings:
        want = json.loads(s)
        if want not in body:
            fail("%r not in the page's text" % want)


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                fail("PNG colour type %d depth %d not handled" % (ctype, depth))
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for i in range(0, stride, bpp):
            colours.add(bytes(line[i:i + 3]))
        prev = line
    return w, h, colours


def check_png(path, w, h, wanted):
    gw, gh, colours = png_pixels(path)
    if (gw, gh) != (int(w), int(h)):
        fail("screenshot %dx%d, want %sx%s" % (gw, gh, w, h))
    for c in wanted:
        if bytes.fromhex(c.lstrip("#")) not in colours:
            fail("no pixel of %s in the screenshot (%d colours)" % (c, len(colours)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "page":
        check_page(args[0])
    elif cmd == "dom":
        check_dom(args[0], args[1:])
    elif cmd == "text":
        check_text(args[0], args[1:])
    elif cmd == "png":
        check_png(args[0], args[1], args[2], args[3:])
    else:
        fail("unknown command %r" % cmd)


if __name__ == "__main__":
    main()
