# Plot the benchmark results: gnuplot -e "dir='DIR'" bench/plot.gp
# reads DIR/plot-tput.dat and DIR/plot-lat.dat (written by report.py),
# writes DIR/results.png.
if (!exists("dir")) dir = "."
set terminal pngcairo size 1400,1500 font ",10" noenhanced
set output dir."/results.png"
set multiplot layout 3,1 title (exists("title") ? title : "xshm benchmarks")
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
# gnuplot has eight default colours; more implementations than that
set linetype 9 lc rgb "navy"
set linetype 10 lc rgb "olive"
set linetype 11 lc rgb "gray40"
set grid ytics
set logscale y
set xtics nomirror
tdat = dir."/plot-tput.dat"
ldat = dir."/plot-lat.dat"
pdat = dir."/plot-logpath.dat"
ntput = system("head -1 ".tdat." | wc -w") - 1
nlat = system("head -1 ".ldat." | wc -w") - 1

set title "Throughput (million messages/s, median steady window, median of repetitions; seqlock/latch: writes/s)"
set ylabel "M msgs/s"
plot for [i=2:ntput+1] tdat using i:xtic(1) title columnheader(i)

set title "One-way latency, half the round trip (ns, lower is better)"
set ylabel "ns"
plot for [i=2:nlat+1] ldat using i:xtic(1) title columnheader(i)

set title "Log path: records stored in a file (million records/s, median; line size and offered rate)"
set ylabel "M records/s"
if (system("wc -l < ".pdat) + 0 > 1) {
	plot for [i=2:3] pdat using i:xtic(1) title columnheader(i)
}
unset multiplot
