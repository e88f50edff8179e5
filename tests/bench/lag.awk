# tests/bench/lag.awk - replication lag per source transaction, from the
# files of bench_writer (WRITER) and bench_poll (POLL):
#
#   awk -f lag.awk WRITER POLL
#
# WRITER: "start NS", then "NS LAST_ID" per transaction (NS = when its
# COMMIT returned on the source), "end NS".  POLL: "T_PREV T_CUR VALUE",
# one line per change of the target's max(id).
#
# A transaction's rows became visible on the target between the two polls
# around the first one that shows max(id) >= its last id; its lag is the
# midpoint of those two polls minus its source commit time (so the error
# is at most half a poll interval either way).  Ids are written in
# increasing order by one writer and applied in commit order, so max(id)
# >= X means every id <= X is there (run.sh checks the count as well).
# Every transaction has the same number of rows, so percentiles over
# transactions are percentiles over rows.
#
# Prints: "p50_ms p99_ms max_ms n_txns n_unseen"
FNR == 1 { file++ }
file == 1 && $1 == "start" { next }
file == 1 && $1 == "end" { next }
file == 1 { ncommit++; cts[ncommit] = $1; cid[ncommit] = $2; next }
file == 2 { npoll++; pp[npoll] = $1; pc[npoll] = $2; pv[npoll] = $3; next }
END {
	j = 1; n = 0; unseen = 0
	for (i = 1; i <= ncommit; i++) {
		while (j <= npoll && pv[j] < cid[i]) j++
		if (j > npoll) { unseen++; continue }
		vis = (pp[j] + pc[j]) / 2
		lag[++n] = (vis - cts[i]) / 1e6
	}
	if (n == 0) { print "nan nan nan 0 " unseen; exit }
	heapsort(lag, n)	# portable: mawk has no asort()
	printf "%.1f %.1f %.1f %d %d\n", pct(lag, n, 50), pct(lag, n, 99), lag[n], n, unseen
}
function pct(a, n, p,   k) {  # nearest rank
	k = int((p * n + 99) / 100)
	if (k < 1) k = 1
	if (k > n) k = n
	return a[k]
}
function sift(a, start, end,   root, child, t) {
	root = start
	while (root * 2 <= end) {
		child = root * 2
		if (child + 1 <= end && a[child] < a[child + 1]) child++
		if (a[root] < a[child]) {
			t = a[root]; a[root] = a[child]; a[child] = t
			root = child
		} else return
	}
}
function heapsort(a, n,   i, t) {
	for (i = int(n / 2); i >= 1; i--) sift(a, i, n)
	for (i = n; i > 1; i--) {
		t = a[1]; a[1] = a[i]; a[i] = t
		sift(a, 1, i - 1)
	}
}
