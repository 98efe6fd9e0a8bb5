"""A minimal element tree of an HTML page (stdlib only), enough to find the report's sections, tables and charts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This node and its descendants, in document order, optionally only those of one tag."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter(tag)

    def find(self, tag: str, **attrs: str) -> Node:
        """The first descendant of this tag whose attributes have these values (`class_` for class)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        for node in self.iter(tag):
            if all(node.attrs.get(k) == v for k, v in wanted.items()):
                return node
        raise LookupError(f"no <{tag}> with {wanted}")

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>: the page is not well nested"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], f"unclosed <{builder.stack[-1].tag}>"
    return builder.root


def table_rows(table: Node) -> list[list[str]]:
    """The body rows of a table as lists of cell texts."""
    return [[td.text for td in tr.iter("td")] for tr in table.find("tbody").iter("tr")]
