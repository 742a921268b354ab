#!/usr/bin/env python3
"""Facts about a page's DOM as Chromium dumped it (--dump-dom), one per line, for the shell
tests to compare: the title, body data-ready, rows of each table, SVG bars, the elements of
kinds a script or a handler could hide in, and the text of the cells that hold contacts.

usage: ui_dom.py FILE
"""
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = ''
        self.ready = ''
        self.stack = []  # ids of the open tables
        self.rows = {}
        self.counts = {}
        self.handlers = 0
        self.in_title = False
        self.cell = None
        self.texts = []
        self.svg_text = []
        self.in_svg_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self.handlers += sum(1 for k, _ in attrs if k.startswith('on'))
        if tag == 'title' and not self.title and 'svg' not in self.counts:
            self.in_title = True
        if tag == 'body':
            self.ready = a.get('data-ready', '')
        if tag == 'table':
            self.stack.append(a.get('id', '?'))
        if tag == 'tr' and self.stack and self.stack[-1] != '?':
            self.rows[self.stack[-1]] = self.rows.get(self.stack[-1], 0) + 1
        if tag == 'td' and a.get('class') == 'text':
            self.cell = ''
        if tag == 'rect' and a.get('class') == 'bar':
            self.counts['bar'] = self.counts.get('bar', 0) + 1

    def handle_endtag(self, tag):
        if tag == 'title':
            self.in_title = False
        if tag == 'table' and self.stack:
            self.stack.pop()
        if tag == 'td' and self.cell is not None:
            self.texts.append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.cell is not None:
            self.cell += data


d = Dom()
d.feed(open(sys.argv[1], encoding='utf-8').read())
print('title', d.title)
print('ready', d.ready)
for t in sorted(d.rows):
    print('rows', t, d.rows[t] - 1)  # less the heading row
for tag in ('script', 'img', 'iframe', 'object', 'embed', 'bar'):
    print('count', tag, d.counts.get(tag, 0))
print('handlers', d.handlers)
for t in sorted(set(d.texts)):
    print('text', t)
