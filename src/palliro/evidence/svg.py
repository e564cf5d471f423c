"""Matplotlib SVG made safe to inline under the site's Content-Security-Policy.

CSP (``style-src 'self'``) blocks ``style=""`` attributes and ``<style>`` elements, which matplotlib
uses for every fill and stroke. Each ``style`` declaration is rewritten as the SVG presentation
attribute of the same name (SVG 1.1 §6.4 lists fill, stroke, stroke-width, … as both), so the plot
looks the same without inline CSS.
"""

import re

_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_PROLOGUE = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_PROPERTY = re.compile(r"^[a-z-]+$")


def _attributes(match: re.Match) -> str:
    out = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip().replace('"', "&quot;")
        if name and value and _PROPERTY.match(name):
            out.append(f' {name}="{value}"')
    return "".join(out)


def inline_svg(svg: bytes | str) -> str:
    text = svg.decode() if isinstance(svg, bytes) else svg
    text = _PROLOGUE.sub("", text)
    text = _STYLE_ELEMENT.sub("", text)
    return _STYLE_ATTR.sub(_attributes, text)
