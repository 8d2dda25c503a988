"""Reachability drawn as SVG and HTML (clusterstack/analysis/drawing.py): a well-formed document with a
node per namespace and per special destination, an edge per allowed pair carrying its ports, the
legend; no label can inject markup; the HTML page loads nothing from anywhere; no two edge labels
overlap; and a real browser (Debian's chromium, where installed) parses the page into the same
structure and draws it."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from xml.etree import ElementTree

import pytest

from clusterstack.analysis import drawing, pictures, reach
from tests.test_pictures import HOSTILE, facts

SVG = "{http://www.w3.org/2000/svg}"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def prod_picture() -> pictures.Picture:
    prod = facts("prod")
    return pictures.picture(reach.matrix(prod), endpoints=pictures.endpoints(prod))


def change_picture() -> pictures.Picture:
    dev, prod = facts("dev"), facts("prod")
    opened, closed = reach.changes(dev, prod)
    return pictures.picture(reach.matrix(prod), opened, closed, pictures.endpoints(dev) + pictures.endpoints(prod))


def groups(root: ElementTree.Element, kind: str) -> list[ElementTree.Element]:
    return [g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()]


def text_of(element: ElementTree.Element) -> str:
    """A text element's words, its wrapped lines joined as a reader reads them."""
    return " ".join(" ".join(part.split()) for part in element.itertext() if part.strip())


def test_prod_draws_a_node_per_namespace_and_destination_and_an_edge_per_allowed_pair():
    picture = prod_picture()
    text = drawing.svg(picture, "clusterstack reach: prod")
    root = ElementTree.fromstring(text)
    assert root.tag == f"{SVG}svg"
    nodes = {g.get("data-name"): (g.get("class") or "").split()[1] for g in groups(root, "node")}
    assert nodes == {node.name: node.kind for node in picture.nodes}
    assert [name for name, kind in nodes.items() if kind == "namespace"] == ["analytics", "checkout", "default", "kube-system", "payments"]
    assert set(nodes.values()) == {"namespace", "dns", "cidr", "internet", "metadata"}
    edges = {(g.get("data-from"), g.get("data-to")): g for g in groups(root, "edge")}
    assert len(edges) == len([e for e in picture.edges if e.source != e.destination])
    label = edges["checkout", "payments"].find(f"{SVG}text")
    assert label is not None
    assert text_of(label).replace("= ", "=") == "TCP 8080 to app=payments-api"
    assert ("checkout", "the internet (198.51.100.10)") not in edges  # denied: absent
    within = next(g for g in groups(root, "node") if g.get("data-name") == "payments")
    assert "within: any port" in text_of(within)
    legend = " / ".join(text_of(t) for g in groups(root, "legend") for t in g.iter(f"{SVG}text"))
    for words in ("namespace", "cluster DNS", "CIDR", "the internet", "cloud metadata", "no edge: denied"):
        assert words in legend
    assert "opened" not in legend
    assert drawing.svg(picture, "clusterstack reach: prod") == text


def test_a_change_colours_opened_and_closed_edges_and_says_so_in_the_legend():
    root = ElementTree.fromstring(drawing.svg(change_picture(), "dev → prod"))
    statuses = [(g.get("class") or "").split()[1] for g in groups(root, "edge")]
    assert set(statuses) == {"opened", "closed"}  # dev and prod share flows only within namespaces
    for g in groups(root, "edge"):
        status = (g.get("class") or "").split()[1]
        path = g.find(f"{SVG}path")
        assert path is not None
        assert path.get("stroke") == pictures.COLOURS[status]
        assert (path.get("stroke-dasharray") is not None) == (status == "closed")
        label = g.find(f"{SVG}text")
        assert label is not None
        assert text_of(label).startswith({"kept": "", "opened": "+ ", "closed": "- "}[status])
    legend = " / ".join(text_of(t) for g in groups(root, "legend") for t in g.iter(f"{SVG}text"))
    assert "+ opened by the change" in legend
    assert "- closed by the change" in legend


def _boxes(root: ElementTree.Element) -> list[tuple[str, float, float, float, float]]:
    """Each edge label line's box (estimated as the layout estimates it) and each node's rectangle."""
    found = []
    for g in groups(root, "edge"):
        label = g.find(f"{SVG}text")
        assert label is not None
        for span in label.iter(f"{SVG}tspan"):
            width = len(span.text or "") * (drawing.FONT - 2) * 0.62
            x, y = float(span.get("x", "0")), float(span.get("y", "0"))
            left = x - width if label.get("text-anchor") == "end" else x
            found.append((f"label {g.get('data-from')}→{g.get('data-to')}", left, y - 9, left + width, y + 2))
    for g in groups(root, "node"):
        rect = g.find(f"{SVG}rect")
        assert rect is not None
        x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
        found.append((f"node {g.get('data-name')}", x, y, x + float(rect.get("width", "0")), y + float(rect.get("height", "0"))))
    return found


@pytest.mark.parametrize("which", ["prod", "change"])
def test_no_two_labels_or_boxes_overlap(which):
    root = ElementTree.fromstring(drawing.svg(prod_picture() if which == "prod" else change_picture(), which))
    boxes = _boxes(root)
    clashes = [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] != b[0] and a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]
    assert clashes == []


@pytest.mark.parametrize("where", ["namespace", "pods", "title"])
def test_no_value_can_add_markup(where):
    """A hostile name, label value or title stays text: the document parses, and holds exactly the
    elements the drawing makes (no <script>, no extra element), with the value intact as text."""
    hostile = HOSTILE + "\x00\x1b</text><script>alert(1)</script>&amp;]]>"
    source = {"namespace": f"a{hostile}", "pods": f"a/app={hostile}", "title": "a"}[where]
    picture = pictures.picture([reach.Flow(source, "b", "TCP", 80)], endpoints=["b"])
    title = hostile if where == "title" else "t"
    for text in (drawing.svg(picture, title), drawing.html_page(picture, title).split("<body>")[1].split("</body>")[0]):
        root = ElementTree.fromstring(text)
        tags = {element.tag.removeprefix(SVG) for element in root.iter()}
        assert tags == {"svg", "title", "defs", "marker", "path", "rect", "text", "g", "tspan", "line"}
        assert "</script>" in "".join(root.itertext())  # kept as text, "\x00" and "\x1b" replaced
        assert "\ufffd" in "".join(root.itertext())


def test_the_page_loads_nothing_and_runs_nothing():
    page = drawing.html_page(change_picture(), "dev → prod")
    assert page.startswith("<!DOCTYPE html>\n")
    assert "<script" not in page.lower()
    assert not re.search(r"(?:src|href)\s*=", page)  # the SVG's marker-end uses url(#id), nothing else is a reference
    assert re.findall(r"url\(([^)]*)\)", page) == [f"#arrow-{s}" for s in re.findall(r"url\(#arrow-(\w+)\)", page)]
    assert "Content-Security-Policy\" content=\"default-src 'none';" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def _browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name)) is not None), None)


def _png(path: Path) -> tuple[int, int, set[tuple[int, ...]]]:
    """Width, height and the colours of an 8-bit RGB or RGBA PNG (what chromium writes), decoded with
    zlib and PNG's five row filters (https://www.w3.org/TR/png/#9Filters)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    idat = b""
    while position < len(data):
        (length,), kind = struct.unpack(">I", data[position : position + 4]), data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IDAT":
            idat += body
        chunks[kind] = body
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8
    assert colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw, stride, previous = zlib.decompress(idat), width * channels, bytearray(width * channels)
    colours: set[tuple[int, ...]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                near = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
                line[i] = (line[i] + near) & 0xFF
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, channels * 7))  # every 7th pixel suffices
        previous = line
    return width, height, colours


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@pytest.mark.skipif(_browser() is None, reason="no headless browser installed (Debian: apt-get install chromium)")
def test_a_real_browser_reads_the_page_as_drawn_and_paints_it(tmp_path):
    """Chromium parses the page (--dump-dom: the DOM it built, after its HTML parser) into the nodes and
    edges the drawing made, and paints them (--screenshot): the PNG has the page's size and the fills
    of every node kind and the colours of opened and closed edges. Structure, not pixels."""
    browser = _browser()
    assert browser is not None
    picture = change_picture()
    page = tmp_path / "reach.html"
    page.write_text(drawing.html_page(picture, "clusterstack reach: dev → prod"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dumped = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    assert len(re.findall(r'<g class="node (\w+)"', dumped)) == len(picture.nodes)
    assert len(re.findall(r'<g class="edge (\w+)"', dumped)) == len([e for e in picture.edges if e.source != e.destination])
    assert '<g class="legend">' in dumped
    assert "<script" not in dumped
    root = ElementTree.fromstring(drawing.svg(picture, "x"))
    width, height = int(float(root.get("width", "0"))) + 40, int(float(root.get("height", "0"))) + 40
    shot = tmp_path / "reach.png"
    subprocess.run(
        [browser, *flags, f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=True
    )
    png_width, png_height, colours = _png(shot)
    assert (png_width, png_height) == (width, height)
    for colour in ("namespace", "dns", "cidr", "internet", "metadata"):
        assert _rgb(pictures.COLOURS[colour]) in colours, colour
    # Lines are thin and antialiased: their exact colour may not survive, a near one does.
    for colour in ("opened", "closed"):
        r, g, b = _rgb(pictures.COLOURS[colour])
        assert any(abs(r - x) + abs(g - y) + abs(b - z) < 40 for x, y, z in colours), colour
