"""The Jinja2 environment of the outputs' templates (``planner/outputs/templates/``).

HTML and SVG templates (``*.html.j2``, ``*.svg.j2``) are autoescaped, so every value from an
input file is escaped unless a template marks it safe; Markdown templates (``*.md.j2``) are not,
and escape input text themselves with the ``md`` filter (:func:`planner.outputs.text.md_esc`).
The ``fmt`` filter applies a Python format spec (``{{ cost|fmt(",.0f") }}``). Every value
printed loses the characters XML 1.0 forbids (:func:`planner.outputs.text.xml_text`: NUL and
other control characters), so no input text makes a page's inline SVG or XHTML unreadable.
Undefined names raise instead of rendering as empty text; a block tag on a line of its own
leaves no line behind (``trim_blocks``, ``lstrip_blocks``).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from planner.outputs.text import md_esc, xml_text

#: Folder of the templates inside the package (shipped as package data).
TEMPLATE_DIR = "templates"


@functools.cache
def environment() -> jinja2.Environment:
    """The shared, cached environment (autoescape by template name, strict undefined)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("planner.outputs", TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "svg.j2"),
            disabled_extensions=("md.j2",),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        # Block tags on lines of their own leave no blank lines behind.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_printable,
    )
    env.filters["md"] = md_esc
    # ``{{ x|fmt(",.0f") }}``: Python's format spec, as the f-strings elsewhere use.
    env.filters["fmt"] = format
    return env


def _printable(value: Any) -> Any:
    """A printed value without XML-forbidden characters (escaped markup stays markup)."""
    if isinstance(value, Markup):
        return Markup(xml_text(str(value)))
    return xml_text(value) if isinstance(value, str) else value


def render(name: str, **context: Any) -> str:
    """Render the template ``name`` with ``context``."""
    return environment().get_template(name).render(**context)


def template_text(name: str) -> str:
    """The raw text of a file in the templates folder (CSS, or a template folium renders)."""
    return (resources.files("planner.outputs") / TEMPLATE_DIR / name).read_text(encoding="utf-8")


def macros(name: str) -> Any:
    """The macros of template ``name``, callable from Python (each returns escaped markup)."""
    return environment().get_template(name).module
