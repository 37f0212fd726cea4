"""A small document model (headings, paragraphs, lists, tables, images) rendered to Markdown and
to one self-contained HTML file (charts embedded), and the captions.json a chart folder carries.
"""

import base64
import html
import json
import os
import re


class Doc:
    def __init__(self):
        self.blocks = []

    def h(self, level, text):
        self.blocks.append(("h", level, text))

    def p(self, text):
        self.blocks.append(("p", text))

    def ul(self, items):
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, headers, rows, numeric_from=1):
        self.blocks.append(("table", headers, rows, numeric_from))

    def img(self, path, alt, caption):
        self.blocks.append(("img", path, alt, caption))


def md_escape_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc, folder):
    out = []
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join("- " + item for item in block[1]))
        elif kind == "table":
            _, headers, rows, numeric_from = block
            lines = ["| " + " | ".join(md_escape_cell(h) for h in headers) + " |",
                     "|" + "|".join("---:" if i >= numeric_from else "---"
                                    for i in range(len(headers))) + "|"]
            lines += ["| " + " | ".join(md_escape_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            _, path, alt, caption = block
            rel = os.path.relpath(path, folder)
            out.append(f"![{alt}]({rel})\n\n*{caption}*")
    return "\n\n".join(out) + "\n"


def inline_html(text):
    """Escape, then the two inline marks the report uses: `code` and **bold**."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


HTML_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .95rem; } code { background: #f3f3f3; padding: 0 .2rem; }
"""


def render_html(doc, title):
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{HTML_STYLE}</style>",
           "</head><body>"]
    for block in doc.blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{inline_html(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{inline_html(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            _, headers, rows, numeric_from = block
            out.append("<table><thead><tr>" +
                       "".join(f"<th>{inline_html(str(h))}</th>" for h in headers) +
                       "</tr></thead><tbody>")
            for row in rows:
                cells = "".join(
                    f'<td{" class=num" if i >= numeric_from else ""}>{inline_html(str(c))}</td>'
                    for i, c in enumerate(row))
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
        elif kind == "img":
            _, path, alt, caption = block
            with open(path, "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            out.append(f'<figure><img alt="{html.escape(alt)}" '
                       f'src="data:image/png;base64,{data}">'
                       f"<figcaption>{inline_html(caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def load_captions(charts_dir):
    path = os.path.join(charts_dir, "captions.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_report(doc, folder, title):
    md_path = os.path.join(folder, "REPORT.md")
    html_path = os.path.join(folder, "REPORT.html")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(render_markdown(doc, folder))
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(render_html(doc, title))
    return md_path, html_path
