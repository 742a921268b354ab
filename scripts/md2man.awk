# The subset of markdown the README and `overflowd --segments --markdown` use, as man(7) roff:
# headings (level <= base: .SH, base+1 and base+2: .SS, deeper: a bold paragraph), paragraphs,
# "- " lists, ``` blocks, tables (a row: .TP with the first cell, the middle cells as
# "header: value", the last as its text), `code`, **bold**, *italic*; <!-- --> comments are
# left out. Run with -v base=N.
function esc(s) {
	gsub(/\\/, "\\e", s)
	return s
}
function inline(s,    out, i, j, code) {
	s = esc(s)
	out = ""
	while ((i = index(s, "`")) > 0) {
		j = index(substr(s, i + 1), "`")
		if (j == 0)
			break
		code = substr(s, i + 1, j - 1)
		gsub(/-/, "\\-", code)
		out = out substr(s, 1, i - 1) "\\fB" code "\\fR"
		s = substr(s, i + j + 1)
	}
	s = out s
	while (match(s, /\*\*[^*]+\*\*/))
		s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
	while (match(s, /\*[^* ][^*]*\*/))
		s = substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
	return s
}
function line(s) {
	if (s ~ /^[.']/)
		s = "\\&" s
	print s
}
function cells(s, arr,    n, i) {
	gsub(/\\\|/, "\001", s)
	sub(/^ *\| */, "", s)
	sub(/ *\| *$/, "", s)
	n = split(s, arr, / *\| */)
	for (i = 1; i <= n; i++)
		gsub(/\001/, "|", arr[i])
	return n
}
BEGIN { para = 0; incomment = 0; infence = 0; nhead = 0 }
incomment { if (index($0, "-->")) incomment = 0; next }
/^<!--/ { if (!index($0, "-->")) incomment = 1; next }
/^```/ {
	if (!infence) { print ".PP"; print ".RS 4"; print ".nf"; infence = 1 }
	else { print ".fi"; print ".RE"; infence = 0; para = 1 }
	next
}
infence { line(esc($0)); next }
/^#+ / {
	match($0, /^#+/)
	lvl = RLENGTH
	t = inline(substr($0, lvl + 2))
	if (lvl <= base) { u = toupper(t); gsub(/\\FB/, "\\fB", u); gsub(/\\FR/, "\\fR", u); gsub(/\\E/, "\\e", u); print ".SH \"" u "\"" }
	else if (lvl <= base + 2) print ".SS \"" t "\""
	else { print ".PP"; line("\\fB" t "\\fR") }
	para = 0; nhead = 0
	next
}
/^\|/ {
	if ($0 ~ /^\|[-| :]+\|$/) next
	if (!nhead) { nhead = cells($0, head); next }
	n = cells($0, c)
	print ".TP"
	line(inline(c[1]))
	extra = ""
	for (i = 2; i < n; i++)
		if (c[i] != "") extra = extra (extra == "" ? "" : ", ") head[i] ": " c[i]
	if (extra != "") line(inline("(" extra ")"))
	if (n > 1) line(inline(c[n]))
	para = 0
	next
}
/^ *$/ { para = 1; nhead = 0; next }
/^- / { print ".IP \\(bu 2"; line(inline(substr($0, 3))); para = 0; next }
{
	if (para) { print ".PP"; para = 0 }
	s = $0
	sub(/^ +/, "", s)
	line(inline(s))
}
