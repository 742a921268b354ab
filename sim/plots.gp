# Plots of ofd-sim's default set: gnuplot -e "outdir='DIR'" plots.gp, DIR holding g_GROUP.csv
# Every row is a scenario; `group` says which sweep it belongs to, `x` the swept value.
set datafile separator ","
set datafile columnheaders
set terminal pngcairo size 900,600 font ",11"
set grid
set key top right
# run.sh splits the CSV by group into g_GROUP.csv (a line per group, unbroken by other rows)
f(name) = outdir."/g_".name.".csv"

set output outdir."/time_vs_rate.png"
set title "Time to the victim's first tracer vs flood rate (10 % of ASes deploy, r = 1e-6, mixed 1:N)"
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
set xrange [500:2e7]
set xlabel "flood rate R (packets/s)"
set ylabel "seconds (mean over floods with a deployer on the path, 95 % CI)"
plot f("rate") using "R":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "overflowd, random spoofed sources", \
     f("rate_raw") using "R":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "overflowd, raw counts (no normalization)", \
     f("rate_none") using "R":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "overflowd, 1000 unspoofed flows (active timeout 60 s)", \
     f("rate_reflect") using "R":"ownerc_all":"ownerc_all_lo":"ownerc_all_hi" with yerrorlines lw 2 dt 2 title "spoofed owner: tracers from 2 networks", \
     f("rate") using "R":"it1_all":"it1_all_lo":"it1_all_hi" with yerrorlines lw 2 title "iTrace 1/20000, same deployers", \
     f("rate") using "R":"ppm_time":"ppm_time_lo":"ppm_time_hi" with yerrorlines lw 2 title "PPM p=0.04, every AS marks: whole path"

set output outdir."/overhead_vs_rate.png"
set title "Load at the victim and overhead vs flood rate"
set ylabel "tracers/s at the victim (mean, 95 % CI)"
set y2label "tracer bytes per flood byte"
set y2tics
set logscale y2
set format y2 "10^{%L}"
set key top left
plot f("rate") using "R":"tracers_s":"tracers_s_lo":"tracers_s_hi" with yerrorlines lw 2 title "tracers/s, normalized", \
     f("rate_raw") using "R":"tracers_s":"tracers_s_lo":"tracers_s_hi" with yerrorlines lw 2 title "tracers/s, raw counts", \
     f("rate") using "R":"overhead" axes x1y2 with linespoints lw 2 title "overhead, normalized (right)", \
     f("rate") using "R":"it_overhead" axes x1y2 with linespoints lw 2 title "iTrace overhead (right)"
unset y2tics
unset y2label
unset logscale y2
set key top right

set output outdir."/deploy_share.png"
set xrange [*:*]
set format y "%g"
set title "Floods whose victim hears within 10 min, and the path it learns, vs deployment (R = 100 kpps)"
set logscale x
unset logscale y
set format x "%g"
set xlabel "deployment fraction f"
set ylabel "share (95 % CI)"
set yrange [0:1.05]
set key at graph 0.98, graph 0.6
plot f("deploy_random") using "f":"p_t1":"p_t1_lo":"p_t1_hi" with yerrorlines lw 2 title "first tracer, random deployers", \
     f("deploy_transit") using "f":"p_t1":"p_t1_lo":"p_t1_hi" with yerrorlines lw 2 title "first tracer, largest transit first", \
     f("deploy_random") using "f":"frac_path":"frac_path_lo":"frac_path_hi" with yerrorlines lw 2 dt 2 title "path heard from, random", \
     f("deploy_transit") using "f":"frac_path":"frac_path_lo":"frac_path_hi" with yerrorlines lw 2 dt 2 title "path heard from, transit first", \
     f("deploy_random") using "f":"p_t3":"p_t3_lo":"p_t3_hi" with yerrorlines lw 2 dt 3 title "3 ASes heard, random", \
     f("deploy_transit") using "f":"p_t3":"p_t3_lo":"p_t3_hi" with yerrorlines lw 2 dt 3 title "3 ASes heard, transit first"

set output outdir."/owner_vs_deploy.png"
set title "Reflection (the victim's address spoofed): its owner hears within 10 min, vs deployment (R = 100 kpps)"
plot f("deploy_reflect_random") using "f":"p_owner1":"p_owner1_lo":"p_owner1_hi" with yerrorlines lw 2 title "first tracer, random deployers", \
     f("deploy_reflect_transit") using "f":"p_owner1":"p_owner1_lo":"p_owner1_hi" with yerrorlines lw 2 title "first tracer, largest transit first", \
     f("deploy_reflect_random") using "f":"p_ownerc":"p_ownerc_lo":"p_ownerc_hi" with yerrorlines lw 2 dt 2 title "tracers from 2 networks (confident), random", \
     f("deploy_reflect_transit") using "f":"p_ownerc":"p_ownerc_lo":"p_ownerc_hi" with yerrorlines lw 2 dt 2 title "tracers from 2 networks (confident), transit first"
set yrange [*:*]

set output outdir."/sampling.png"
set format y "10^{%L}"
set title "Time to first tracer vs the exporters' sampling 1:N (R = 100 kpps, f = 10 %)"
set logscale xy
set xlabel "sampling 1:N"
set ylabel "seconds (mean, 95 % CI)"
set key top left
plot f("sampling") using "N":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "normalized (default)", \
     f("sampling_raw") using "N":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "raw counts"

set output outdir."/rate_r.png"
set title "overflowd's rate r: time to first tracer and to 3 ASes (R = 100 kpps, f = 10 %)"
set xlabel "rate r (odds per packet)"
set format x "10^{%L}"
set ylabel "seconds (mean, 95 % CI)"
set key top right
set y2label "tracer bytes per flood byte"
set y2tics
set logscale y2
set format y2 "10^{%L}"
plot f("r") using "r":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "first tracer", \
     f("r") using "r":"t3_all":"t3_all_lo":"t3_all_hi" with yerrorlines lw 2 title "3 distinct ASes", \
     f("r") using "r":"overhead" axes x1y2 with linespoints lw 2 dt 2 title "overhead (right)"

set output outdir."/escalate.png"
set title "Escalation: rate x M after the first minute (R = 10 kpps, f = 10 %)"
set xlabel "escalation multiplier M"
set format x "%g"
plot f("escalate") using "esc_mult":"t1_all":"t1_all_lo":"t1_all_hi" with yerrorlines lw 2 title "first tracer", \
     f("escalate") using "esc_mult":"t3_all":"t3_all_lo":"t3_all_hi" with yerrorlines lw 2 title "3 distinct ASes", \
     f("escalate") using "esc_mult":"overhead" axes x1y2 with linespoints lw 2 dt 2 title "overhead (right)", \
     f("escalate") using "esc_mult":"budget_cut" axes x1y2 with linespoints lw 2 dt 3 title "share of picks the budget held back (right)"
