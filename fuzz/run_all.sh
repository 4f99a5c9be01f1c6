#!/usr/bin/env bash
# Runs fuzz targets one after another, each for MINUTES minutes (default 10), on one
# core under nice, keeping what they find in corpus/TARGET/ and their output in
# logs/TARGET.log. Usage: ./run_all.sh [MINUTES] [TARGET...]
set -u
cd "$(dirname "$0")"
minutes=${1:-10}
shift || true
targets=${*:-frontmatter url paths markdown member speaker event chapter series charter page config}
mkdir -p logs
for t in $targets; do
  mkdir -p "corpus/$t"
  start=$(date +%s)
  RAYON_NUM_THREADS=1 RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -s none "$t" "corpus/$t" "seeds/$t" -- \
    -dict=dict/shequn.dict -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 >"logs/$t.log" 2>&1
  code=$?
  echo "$t: exit $code after $(( $(date +%s) - start )) s; $(grep -E '^stat::number_of_executed_units' "logs/$t.log")"
done
