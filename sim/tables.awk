# Markdown tables of ofd-sim's default set: awk -F, -f sim/tables.awk sim.csv > tables.md
# Times are means over the floods that crossed a deployer (the "_all" columns) with their 95 %
# confidence intervals (a mean over the floods that reached that count: "3 ASes" is over fewer
# floods than "first tracer"); shares are of all floods, within the flood's duration (10 min).
function v(name) { return $(col[name]) }
function t(name,    m) { m = v(name); if (m == "") return "-"; if (m == "inf") return "never"; return sprintf("%s [%s, %s]", fmt(m), fmt(v(name "_lo")), fmt(v(name "_hi"))) }
function fmt(x) { if (x == "" ) return "-"; if (x == "inf") return "never"; x += 0; if (x >= 100) return sprintf("%.0f", x); if (x >= 1) return sprintf("%.1f", x); if (x >= 0.01) return sprintf("%.3f", x); return sprintf("%.2g", x) }
function pct(name) { return v(name) == "" ? "-" : sprintf("%.1f %%", 100 * v(name)) }
function head(title, cols) { printf "\n### %s\n\n%s\n", title, cols; n = split(cols, hh, "|"); s = "|"; for (i = 2; i < n; i++) s = s "---|"; print s }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{ rows[NR] = $0; grp[NR] = $1 }
END {
	FS = ","
	head("Flood rate (random spoofed sources, 10 % of ASes deploy at random, r = 1e-6, mixed 1:N, normalized)",
	     "| R (pps) | floods heard in 10 min | first tracer (s) | 3 ASes (s) | tracers/s at victim | overhead | iTrace first (s) | PPM whole path (s) |")
	for (r = 2; r <= NR; r++) if (grp[r] == "rate") { $0 = rows[r]; printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", v("R"), pct("p_t1"), t("t1_all"), t("t3_all"), fmt(v("tracers_s")), fmt(v("overhead")), t("it1_all"), fmt(v("ppm_time")) }
	head("Flood rate: raw counts, unspoofed long flows, reflection (time to first tracer, s)",
	     "| R (pps) | normalized | raw counts | 1000 unspoofed flows | reflection: owner, first | reflection: owner, 2 networks |")
	for (r = 2; r <= NR; r++) if (grp[r] == "rate") {
		$0 = rows[r]; R = v("R"); a = t("t1_all")
		for (q = 2; q <= NR; q++) { $0 = rows[q]; if (v("R") != R) continue
			if (grp[q] == "rate_raw") b = t("t1_all"); if (grp[q] == "rate_none") c = t("t1_all")
			if (grp[q] == "rate_reflect") { d = t("owner1_all"); e = t("ownerc_all") } }
		printf "| %s | %s | %s | %s | %s | %s |\n", R, a, b, c, d, e }
	head("Deployment (R = 100 kpps): share of floods, within 10 min",
	     "| f | random: first tracer | random: 3 ASes | random: path heard | transit first: first tracer | transit first: 3 ASes | transit first: path heard | reflection owner, 2 networks: random / transit |")
	for (r = 2; r <= NR; r++) if (grp[r] == "deploy_random") {
		$0 = rows[r]; f = v("f"); a = pct("p_t1"); b = pct("p_t3"); c = pct("frac_path")
		for (q = 2; q <= NR; q++) { $0 = rows[q]; if (v("f") != f) continue
			if (grp[q] == "deploy_transit") { d = pct("p_t1"); e = pct("p_t3"); g = pct("frac_path") }
			if (grp[q] == "deploy_reflect_random") h = pct("p_ownerc"); if (grp[q] == "deploy_reflect_transit") k = pct("p_ownerc") }
		printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", f, a, b, c, d, e, g, h, k }
	head("Sampling 1:N at every deployer (R = 100 kpps, f = 10 %): first tracer (s)", "| N | normalized | raw counts | budget cut (normalized) |")
	for (r = 2; r <= NR; r++) if (grp[r] == "sampling") {
		$0 = rows[r]; N = v("N"); a = t("t1_all"); c = pct("budget_cut")
		for (q = 2; q <= NR; q++) { $0 = rows[q]; if (grp[q] == "sampling_raw" && v("N") == N) b = t("t1_all") }
		printf "| %s | %s | %s | %s |\n", N, a, b, c }
	head("overflowd's rate r (R = 100 kpps, f = 10 %)", "| r | first tracer (s) | 3 ASes (s) | tracers/s at victim | overhead | picks the budget held back |")
	for (r = 2; r <= NR; r++) if (grp[r] == "r" || grp[r] == "equal_overhead") { $0 = rows[r]; printf "| %s%s | %s | %s | %s | %s | %s |\n", v("r"), grp[r] == "equal_overhead" ? " (iTrace's overhead)" : "", t("t1_all"), t("t3_all"), fmt(v("tracers_s")), fmt(v("overhead")), pct("budget_cut") }
	head("Escalation: rate x M after 60 s (R = 10 kpps, f = 10 %)", "| M | first tracer (s) | 3 ASes (s) | tracers/s at victim | overhead | picks the budget held back |")
	for (r = 2; r <= NR; r++) if (grp[r] == "escalate") { $0 = rows[r]; printf "| %s | %s | %s | %s | %s | %s |\n", v("esc_mult"), t("t1_all"), t("t3_all"), fmt(v("tracers_s")), fmt(v("overhead")), pct("budget_cut") }
	head("Spoofing and flow cache (R = 100 kpps, f = 10 %)", "| scenario | first tracer (s) | 2 ASes (s) | owner of the spoofed source: 2 networks (s) | tracers/s at victim |")
	for (r = 2; r <= NR; r++) if (grp[r] == "spoof" || grp[r] == "active") { $0 = rows[r]; printf "| %s | %s | %s | %s | %s |\n", grp[r] == "spoof" ? "spoofing " v("spoof") : "unspoofed, active timeout " v("active") " s (1 h flood)", t("t1_all"), t("t2_all"), t("ownerc_all"), fmt(v("tracers_s")) }
	head("Baselines on the same paths (R = 100 kpps)", "| | first message (s) | 3 ASes (s) | path heard in 10 min | overhead |")
	for (r = 2; r <= NR; r++) if (grp[r] == "deploy_random") { $0 = rows[r]; if (v("f") != 1) continue
		printf "| overflowd r = 1e-6, every AS deploys | %s | %s | %s | %s |\n", t("t1_all"), t("t3_all"), pct("frac_path"), fmt(v("overhead"))
		printf "| iTrace 1/20,000, every AS deploys | %s | %s | %s | %s |\n", t("it1_all"), t("it3_all"), pct("it_frac_path"), fmt(v("it_overhead"))
		printf "| PPM p = 0.04, every AS marks (whole path) | %s (%s packets; exact %s; Savage's bound %s) | | 100 %% | 0 (in the IP header) |\n", fmt(v("ppm_time")), fmt(v("ppm_packets")), fmt(v("ppm_exact")), fmt(v("ppm_bound")) }
}
