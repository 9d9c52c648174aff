#!/usr/bin/env bash
# score: bad input is a one-line error naming the file and line; missing
# values and odd rows do not break the output; usage errors exit 2.
set -euo pipefail
t=$TMPDIR_E2E
printf 'timestamp,value\n2014-01-01 00:00:00,1\nyesterday,2\n' > "$t/bad.csv"
! "$KUBEMEND" score --input "$t/bad.csv" --output "$t/out.csv" 2> "$t/err.txt"
grep -q "bad.csv:3: bad timestamp 'yesterday'" "$t/err.txt"
[ ! -e "$t/out.csv" ]
printf 'time,v\n1,2\n' > "$t/nohdr.csv"
! "$KUBEMEND" score --input "$t/nohdr.csv" --output "$t/out.csv" 2> "$t/err.txt"
grep -q "nohdr.csv:1: header needs 'timestamp' and 'value'" "$t/err.txt"
set +e
"$KUBEMEND" score --input "$t/bad.csv" > /dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 2 ]
# empty and non-numeric values are missing: the row stays, with a score
printf 'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,\n2014-01-01 00:10:00,abc\n2014-01-01 00:15:00,3\n' > "$t/gaps.csv"
"$KUBEMEND" score --input "$t/gaps.csv" --output "$t/gaps.out"
[ "$(wc -l < "$t/gaps.out")" -eq 5 ]
sed -n 3p "$t/gaps.out" | grep -q '^2014-01-01 00:05:00,,0\.000000$'
awk -F, 'NR > 1 && !($3 >= 0 && $3 <= 1) { exit 1 }' "$t/gaps.out"
