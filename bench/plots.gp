# bench/run's plots: throughput over time and the fixed-rate latency distribution.
set terminal pngcairo size 900,500 noenhanced
set datafile separator "\t"
set grid
set output out.'/throughput.png'
set title 'Outcomes settled per second'
set xlabel 'seconds since the first outcome'
set ylabel 'events/s'
stats out.'/fast.series.tsv' using 1 nooutput name 'F'
stats out.'/slow.series.tsv' using 1 nooutput name 'S'
plot out.'/fast.series.tsv' using ($1-F_min):2 with linespoints title 'gateway answers at once', \
     out.'/slow.series.tsv' using ($1-S_min):2 with linespoints title 'gateway answers after 20 ms'
set output out.'/latency.png'
set title 'Produce → outcome latency at a fixed rate (20 ms gateway)'
set xlabel 'percentile'
set ylabel 'ms'
set logscale y
plot out.'/rate.latency.tsv' using 1:2 with lines title 'latency'
