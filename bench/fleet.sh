#!/usr/bin/env bash
# Fleet benchmark for the host-wide listening audit (run as root).
#
#   bench/fleet.sh [-n N] [-m M] [-r RUNS] [-s "N1 N2 ..."] [-q] [-l] [-c] [-k]
#
# Builds N network namespaces (ip netns, unique names, loopback only), each
# with one bench/holder process holding about M sockets (20 TCP listeners v4
# and v6, (M-31)/2 established loopback pairs, 10 UDP, 1 UNIX), then times,
# median of RUNS after one warm-up run, in wall and CPU time:
#
#   kns -tuln     kubectl-netstat --all-containers -tuln (no owners: the -p baseline)
#   kns -tulpn    kubectl-netstat --all-containers -tulpn
#   kns audit     kubectl-netstat audit (every namespace's listeners, with owners)
#   ss loop       for each namespace: nsenter -t PID -n ss -tulpn
#   netstat loop  for each namespace: nsenter -t PID -n netstat -tulpn
#   kns -tanp     kubectl-netstat --all-containers -tanp
#   kns json      kubectl-netstat --all-containers -tanp --output json (RSS)
#   floor         bench/floor: sock_diag dumps of all TCP states, v4 and v6, per namespace
#
# Every kubectl-netstat command is timed twice: with its BPF programs (the
# default as root: the owner iterator, and for -l/-u queries the one walk of
# the host's socket tables) and without them (KUBECTL_NETSTAT_OWNERS=proc
# KUBECTL_NETSTAT_SOCKETS=diag: the /proc walk and a dump per namespace, the
# fallback), so the two paths are compared in one run. -l gives each holder
# the late-socket shape (UDP, UNIX and some listeners opened after its pairs,
# at the end of its fd table). -c also runs TestRefreshesFlat on the fleet
# (300 refreshes of --all-containers -tulpn: per-refresh cost, fds, threads,
# heap). The script prints the ratios against the issue's targets, the peak RSS of each
# command (GNU time), and checks that kubectl-netstat's listener set of every
# bench namespace equals the ss loop's (proto, family, address, port, pid) and
# that its text block equals netstat's byte for byte. With -s, the sweep
# commands (kns -tulpn, -tanp, audit) and the kernel's floor for each are
# also timed after each listed number of namespaces exists, and a growth
# table gives the CPU per added namespace, ours above the floor too. -q
# skips the ss and netstat loops and the checks (for large N, e.g. peak RSS
# at 100 x 1000). -k builds the fleet, prints the holders' PIDs and keeps it
# up until SIGTERM or Ctrl-C, measuring nothing (for profiling by hand).
# Everything it created is torn down on exit, also on failure or Ctrl-C.
# Exit status: 0 when the checks pass (ratio targets are reported, not
# enforced), 1 when a check fails, 2 on usage or setup errors.
set -uo pipefail

N=${N:-50}
M=${M:-1000}
RUNS=${RUNS:-5}
SWEEP=${SWEEP:-}
QUICK=
LATE=
REFRESH=
KEEP=
while getopts "n:m:r:s:qlckh" opt; do
	case $opt in
	n) N=$OPTARG ;;
	m) M=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	s) SWEEP=$OPTARG ;;
	q) QUICK=1 ;;
	l) LATE=-late ;;
	c) REFRESH=1 ;;
	k) KEEP=1 ;;
	*) sed -n '2,38p' "$0" | cut -c3-; exit 2 ;;
	esac
done

die() { echo "fleet: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (ip netns, nsenter, /proc of every process)"
for c in ip nsenter ss netstat go awk; do
	command -v "$c" >/dev/null || die "$c not found"
done
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not found: apt-get install time"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cd "$(dirname "$0")/.." || exit 2
TMP=$(mktemp -d /tmp/kns-fleet.XXXXXX) || exit 2
PREFIX="knsb-$$-$RANDOM"
NAMES=()
PIDS=()

cleanup() {
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		# wait only works for our own children; poll until the process is gone.
		for _ in $(seq 50); do [ -e "/proc/$p" ] || break; sleep 0.05; done
	done
	for n in "${NAMES[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "fleet: building into $TMP" >&2
# Static, like make build and the release binaries (a cgo build peaked 19 to 25 MiB higher here).
CGO_ENABLED=0 go build -o "$TMP/kns" ./cmd/kubectl-netstat || die "build kubectl-netstat failed"
go build -o "$TMP/holder" ./bench/holder || die "build holder failed"
go build -o "$TMP/floor" ./bench/floor || die "build floor failed"
KNS=$TMP/kns

# addns I starts namespace I and its holder; waitns I waits until it holds its sockets.
addns() {
	local name="$PREFIX-$1"
	ip netns add "$name" || die "ip netns add $name failed"
	NAMES+=("$name")
	ip -n "$name" link set lo up || die "lo up in $name failed"
	# ip netns exec execs the command, so $! is the holder itself.
	ip netns exec "$name" "$TMP/holder" -sockets "$M" $LATE >"$TMP/ready.$1" 2>&1 &
	PIDS+=($!)
}
waitns() {
	local i
	for i in $(seq 600); do
		grep -q '^ready' "$TMP/ready.$1" 2>/dev/null && return 0
		grep -q 'holder:' "$TMP/ready.$1" 2>/dev/null && break
		sleep 0.05
	done
	die "holder $1 did not get ready: $(cat "$TMP/ready.$1")"
}

# median_ms RUNS CMD... runs CMD once to warm up, then RUNS times, and prints
# the median wall time (perf's duration_time, else the clock around CMD) and
# the median CPU time (user + system of CMD and its children: perf's
# task-clock, else GNU time's 10 ms ticks) in milliseconds.
# CPU time is the steadier number on a shared machine. CMD's stdout goes to $TMP/out.
median_ms() {
	local runs=$1 i t0 t1 cpu
	shift
	"$@" >"$TMP/out" 2>"$TMP/err" || { echo "fleet: $* failed: $(head -3 "$TMP/err")" >&2; return 1; }
	for i in $(seq "$runs"); do
		t0=$(date +%s%N)
		if [ -n "$PERF" ]; then
			# Wall time is perf's duration_time of the command itself: the
			# clock around perf would add perf's own start-up and exit
			# (15 to 20 ms here, a fifth of a host-wide -tulpn) to every figure.
			perf stat -x, -e task-clock,duration_time -o "$TMP/cpu" -- "$@" >"$TMP/out" 2>/dev/null
			cpu=$(awk -F, '/task-clock/ {print $1}' "$TMP/cpu")
			t1=$((t0 + $(awk -F, '/duration_time/ {printf "%.0f", $1}' "$TMP/cpu")))
		else
			/usr/bin/time -f '%U %S' -o "$TMP/cpu" "$@" >"$TMP/out" 2>/dev/null
			t1=$(date +%s%N)
			cpu=$(awk 'END {print ($1 + $2) * 1000}' "$TMP/cpu")
		fi
		echo "$(((t1 - t0) / 1000)) $cpu"
	done | awk '{w[NR] = $1 / 1000; c[NR] = $2} END {printf "%.1f %.1f\n", med(w, NR), med(c, NR)}
		function med(v, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
			return (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
		}'
}
PERF=
if command -v perf >/dev/null && perf stat -x, -e task-clock,duration_time -o /dev/null -- true 2>/dev/null; then PERF=1; fi

# peak_mib CMD... is the peak RSS of CMD (the largest of its processes for a loop).
peak_mib() {
	/usr/bin/time -f %M -o "$TMP/rss" "$@" >/dev/null 2>&1
	awk 'END {printf "%.1f\n", $1/1024}' "$TMP/rss"
}

kns_tulpn() { "$KNS" --all-containers -tulpn; }
# loops PIDS... writes the two per-namespace loops as scripts, so each is timed
# (and its peak RSS taken) as one command, like the others.
loops() {
	local tool
	for tool in ss netstat; do
		{
			echo '#!/bin/sh'
			for p in "$@"; do echo "nsenter -t $p -n $tool -tulpn"; done
		} >"$TMP/${tool}_loop"
		chmod +x "$TMP/${tool}_loop"
	done
}

started=0
grow() {
	local k
	for k in $(seq $((started + 1)) "$1"); do addns "$k"; done
	for k in $(seq $((started + 1)) "$1"); do waitns "$k"; done
	started=$1
}

# sweep_at N times the three sweep commands with N namespaces up, and the
# kernel floor of each: bench/floor asking for the same dumps (-ask listen for
# -tulpn and audit, -ask tcp1 for -tanp), so what the kernel spends walking
# its host-wide hashes once per namespace is told apart from our own work.
sweep_at() {
	local s=$1 c ms cpu fask fms fcpu
	for c in "--all-containers -tulpn" "--all-containers -tanp" "audit"; do
		read -ra argv <<<"$c"
		read -r ms cpu < <(median_ms "$RUNS" "$KNS" "${argv[@]}")
		[ -n "$ms" ] || exit 1
		fask=listen
		[[ $c == *-tanp ]] && fask=tcp1
		read -r fms fcpu < <(median_ms "$RUNS" "$TMP/floor" -ask "$fask" "${PIDS[@]:0:$s}")
		[ -n "$fms" ] || exit 1
		printf 'sweep: %3d namespaces  kns %-22s wall %9.1f ms (%6.2f ms/ns)  cpu %9.1f ms (%6.2f ms/ns)  floor -ask %-6s cpu %9.1f ms\n' \
			"$s" "$c" "$ms" "$(awk -v a="$ms" -v b="$s" 'BEGIN{print a/b}')" "$cpu" "$(awk -v a="$cpu" -v b="$s" 'BEGIN{print a/b}')" "$fask" "$fcpu"
		echo "$s|$c|$cpu|$fcpu" >>"$TMP/sweep"
	done
}
# growth prints, for each sweep command, the CPU each added namespace cost
# between consecutive sizes: ours, the floor's, and ours above the floor.
growth() {
	[ -s "$TMP/sweep" ] || return 0
	echo "growth: CPU ms per added namespace (kns, kernel floor, kns above the floor)"
	sort -t'|' -k2,2 -k1,1n "$TMP/sweep" | awk -F'|' '
		$2 == cmd { d = $1 - n
			printf "growth: kns %-22s %3d -> %3d ns   kns %6.2f   floor %6.2f   above floor %6.2f\n", cmd, n, $1, ($3 - c) / d, ($4 - f) / d, (($3 - $4) - (c - f)) / d }
		{ cmd = $2; n = $1; c = $3; f = $4 }'
}
for s in $SWEEP; do
	[ "$s" -lt "$N" ] || continue
	grow "$s"
	sweep_at "$s"
done
grow "$N"
if [ -n "$KEEP" ]; then
	echo "fleet: $N namespaces up, binaries in $TMP; holders: ${PIDS[*]}"
	sleep infinity &
	PIDS+=($!)
	wait $!
	exit 0
fi
loops "${PIDS[@]}"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

sockets=0
for k in $(seq "$N"); do sockets=$((sockets + $(awk '{print $2}' "$TMP/ready.$k"))); done
echo "fleet: $N namespaces x $M sockets ($sockets sockets held), $RUNS runs each, median wall time"

declare -A MS CPU RSS CMD
# The fallback rows run through env(1), so each is still one command.
FB="env KUBECTL_NETSTAT_OWNERS=proc KUBECTL_NETSTAT_SOCKETS=diag $KNS"
CMD[kns_tuln]="$KNS --all-containers -tuln"
CMD[kns_tulpn]="$KNS --all-containers -tulpn"
CMD[fb_tulpn]="$FB --all-containers -tulpn"
CMD[kns_audit]="$KNS audit"
CMD[fb_audit]="$FB audit"
CMD[ss_loop]="$TMP/ss_loop"
CMD[netstat_loop]="$TMP/netstat_loop"
CMD[kns_tanp]="$KNS --all-containers -tanp"
CMD[fb_tanp]="$FB --all-containers -tanp"
CMD[kns_json]="$KNS --all-containers -tanp --output json"
CMD[kns_wide]="$KNS --all-containers -tanp --output wide"
CMD[floor]="$TMP/floor ${PIDS[*]}"
CMD[floor_decode]="$TMP/floor -decode ${PIDS[*]}"
for c in kns_tuln kns_tulpn fb_tulpn kns_audit fb_audit ss_loop netstat_loop kns_tanp fb_tanp kns_json kns_wide floor floor_decode; do
	if [ -n "$QUICK" ] && [[ $c == *_loop ]]; then
		MS[$c]=- CPU[$c]=- RSS[$c]=-
		continue
	fi
	read -ra argv <<<"${CMD[$c]}"
	read -r "MS[$c]" "CPU[$c]" < <(median_ms "$RUNS" "${argv[@]}")
	[ -n "${MS[$c]}" ] || exit 1
	RSS[$c]=$(peak_mib "${argv[@]}")
done
[ -z "$SWEEP" ] || { sweep_at "$N"; growth; }

echo "load average before measuring: $LOAD"
# What the kernel's tables really hold: before the holders turned TCP
# keepalive off, synchronized probes overflowed loopback's backlog and the
# kernel aborted up to half the pairs (see RESULTS.md).
# Each holder: 20 listeners and (M - 31) / 2 pairs (both ends in its table).
"$TMP/floor" "${PIDS[@]}" 2>&1 >/dev/null | sed "s/^floor: /TCP sockets in the namespaces now: /; s/\$/ (expected $((N * (20 + (M - 31) / 2 * 2))))/"
printf '%-50s %10s %10s %10s\n' command "wall ms" "cpu ms" "RSS MiB"
row() { printf '%-50s %10s %10s %10s\n' "$1" "${MS[$2]}" "${CPU[$2]}" "${RSS[$2]}"; }
row "kubectl-netstat --all-containers -tuln" kns_tuln
row "kubectl-netstat --all-containers -tulpn" kns_tulpn
row "  the same, no BPF (/proc walk, dumps)" fb_tulpn
row "kubectl-netstat audit" kns_audit
row "  the same, no BPF (/proc walk, dumps)" fb_audit
row "loop: nsenter -t PID -n ss -tulpn" ss_loop
row "loop: nsenter -t PID -n netstat -tulpn" netstat_loop
row "kubectl-netstat --all-containers -tanp" kns_tanp
row "  the same, no BPF (/proc walk, dumps)" fb_tanp
row "kubectl-netstat --all-containers -tanp -o json" kns_json
row "kubectl-netstat --all-containers -tanp -o wide" kns_wide
row "floor: sock_diag dumps (TCP, v4 and v6) per netns" floor
row "floor -decode (inspect.DiagDump)" floor_decode

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "-") print "-"; else if (b > 0) printf "%.1f", a/b; else print "inf" }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN{ if (r == "-") { print "not measured"; exit } ok = (op == ">=") ? r >= t : r <= t; print ok ? "met" : "NOT met" }'; }
ratios() {
	local -n T=$1
	local r1 r2 r3 r4 p b
	for p in kns fb; do
		b=BPF
		[ "$p" = kns ] || b="no BPF"
		r1=$(ratio "${T[${p}_tulpn]}" "${T[kns_tuln]}")
		r2=$(ratio "${T[ss_loop]}" "${T[${p}_tulpn]}")
		r3=$(ratio "${T[ss_loop]}" "${T[${p}_audit]}")
		r4=$(ratio "${T[${p}_tanp]}" "${T[floor]}")
		echo "$2 [$b] ratio kns -tulpn / kns -tuln:  ${r1}x  (target <= 1.5x: $(verdict "$r1" 1.5 '<='))"
		echo "$2 [$b] ratio ss loop / kns -tulpn:    ${r2}x  (target >= 300x: $(verdict "$r2" 300 '>='))"
		echo "$2 [$b] ratio ss loop / kns audit:     ${r3}x  (target >= 300x: $(verdict "$r3" 300 '>='))"
		echo "$2 [$b] ratio kns -tanp / floor:       ${r4}x  (target <= 1.0x: $(verdict "$r4" 1.0 '<='))"
	done
	r1=$(ratio "${T[netstat_loop]}" "${T[kns_tulpn]}")
	r2=$(ratio "${T[kns_tanp]}" "${T[floor_decode]}")
	echo "$2 ratio netstat loop / kns -tulpn:     ${r1}x  (target >= 200x: $(verdict "$r1" 200 '>='))"
	echo "$2 ratio kns -tanp / floor -decode:     ${r2}x"
}
ratios MS wall
ratios CPU "cpu "
RSS_MAX=$(printf '%s\n' "${RSS[kns_tulpn]}" "${RSS[kns_tanp]}" "${RSS[kns_json]}" "${RSS[kns_wide]}" | sort -n | tail -1)
echo "peak RSS of kubectl-netstat: ${RSS_MAX} MiB for $sockets sockets (target <= 150 MiB at 100000: $(verdict "$RSS_MAX" 150 '<='))"

echo "load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$REFRESH" ]; then
	# -c refreshes in-process, on this fleet: per-refresh cost and flat resources.
	KNS_REFRESHES=300 go test -count=1 -run '^TestRefreshesFlat$' -v ./pkg/cmd/ 2>&1 | grep -E 'refresh_test|^(ok|FAIL|---)' | sed 's/^/refresh: /'
fi

fail=0
[ -z "$QUICK" ] || exit 0
# Listener sets: kubectl-netstat's blocks of the bench namespaces against the ss loop.
declare -A INO
for k in $(seq "$N"); do
	p=${PIDS[$((k - 1))]}
	INO[$p]=$(stat -L -c %i "/proc/$p/ns/net")
done
kns_tulpn >"$TMP/kns.txt"
KUBECTL_NETSTAT_OWNERS=proc KUBECTL_NETSTAT_SOCKETS=diag "$KNS" --all-containers -tulpn >"$TMP/fb.txt"
"$KNS" --all-containers -tulpnv 2>&1 >/dev/null | grep -E 'owners:|sockets:' || true
"$KNS" audit -v 2>&1 >/dev/null | grep -E 'sockets:' | sed 's/^/audit: /' || true
for p in "${PIDS[@]}"; do
	echo "# ns ${INO[$p]}"
	nsenter -t "$p" -n ss -tulpn
done >"$TMP/ss.txt"
wanted=$(printf '%s\n' "${INO[@]}")
# key: netns proto family address port pid
awk -v want="$wanted" '
	BEGIN { n = split(want, w, "\n"); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
	/^# netns / { cur = $3; next }
	!keep[cur] { next }
	$1 ~ /^(tcp|udp)6?$/ {
		proto = substr($1, 1, 3); fam = ($1 ~ /6$/) ? 6 : 4
		i = match($4, /:[0-9]+$/); addr = substr($4, 1, i - 1); port = substr($4, i + 1)
		split($NF, pp, "/")
		print cur, proto, fam, addr, port, pp[1]
	}' "$TMP/kns.txt" | sort >"$TMP/kns.set"
awk '
	/^# ns / { cur = $3; next }
	$1 == "tcp" || $1 == "udp" {
		i = match($5, /:[0-9]+$/); addr = substr($5, 1, i - 1); port = substr($5, i + 1)
		fam = 4
		if (addr ~ /^\[/) { fam = 6; addr = substr(addr, 2, length(addr) - 2) }
		if (addr == "*") { fam = 6; addr = "::" }
		pid = "-"
		if (match($0, /pid=[0-9]+/)) pid = substr($0, RSTART + 4, RLENGTH - 4)
		print cur, $1, fam, addr, port, pid
	}' "$TMP/ss.txt" | sort >"$TMP/ss.set"
nk=$(wc -l <"$TMP/kns.set")
ns=$(wc -l <"$TMP/ss.set")
if [ "$ns" -gt 0 ] && diff -q "$TMP/kns.set" "$TMP/ss.set" >/dev/null; then
	echo "check listener sets vs ss loop: equal ($nk listeners in $N namespaces)"
else
	echo "check listener sets vs ss loop: DIFFERENT (kns $nk, ss $ns); first differences (< kns, > ss):"
	diff "$TMP/kns.set" "$TMP/ss.set" | head -20
	fail=1
fi
# block INO FILE: namespace INO's part of a --all-containers text output.
block() { awk -v ino="$1" '/^# netns / { on = ($3 == ino); next } on' "$2"; }
# Byte-for-byte: each bench namespace's block against netstat run inside it,
# and the BPF path's block against the /proc walk's.
bad=0
fbbad=0
for p in "${PIDS[@]}"; do
	block "${INO[$p]}" "$TMP/kns.txt" >"$TMP/block"
	block "${INO[$p]}" "$TMP/fb.txt" >"$TMP/fbblock"
	nsenter -t "$p" -n netstat -tulpn >"$TMP/netstat.txt" 2>/dev/null
	cmp -s "$TMP/block" "$TMP/netstat.txt" || { bad=$((bad + 1)); [ "$bad" -gt 1 ] || diff "$TMP/netstat.txt" "$TMP/block" | head -10; }
	cmp -s "$TMP/block" "$TMP/fbblock" || fbbad=$((fbbad + 1))
done
if [ "$fbbad" = 0 ]; then
	echo "check BPF vs no BPF (-tulpn blocks): identical ($N namespaces)"
else
	echo "check BPF vs no BPF (-tulpn blocks): $fbbad of $N namespaces DIFFER"
	fail=1
fi
if [ "$bad" = 0 ]; then
	echo "check text vs netstat -tulpn in each namespace: identical ($N namespaces)"
else
	echo "check text vs netstat -tulpn in each namespace: $bad of $N namespaces DIFFER"
	fail=1
fi
# Connections: -tanp (its TCP sockets from the walk of the established hash)
# against netstat -tanp in each namespace and against the dumps.
"$KNS" --all-containers -tanpv 2>&1 >/dev/null | grep -E 'sockets:' | sed 's/^/-tanp: /' || true
"$KNS" --all-containers -tanp >"$TMP/kns.txt"
KUBECTL_NETSTAT_OWNERS=proc KUBECTL_NETSTAT_SOCKETS=diag "$KNS" --all-containers -tanp >"$TMP/fb.txt"
bad=0
fbbad=0
rows=0
for p in "${PIDS[@]}"; do
	block "${INO[$p]}" "$TMP/kns.txt" >"$TMP/block"
	block "${INO[$p]}" "$TMP/fb.txt" >"$TMP/fbblock"
	nsenter -t "$p" -n netstat -tanp >"$TMP/netstat.txt" 2>/dev/null
	rows=$((rows + $(grep -c '^tcp' "$TMP/block")))
	cmp -s "$TMP/block" "$TMP/netstat.txt" || { bad=$((bad + 1)); [ "$bad" -gt 1 ] || diff "$TMP/netstat.txt" "$TMP/block" | head -10; }
	cmp -s "$TMP/block" "$TMP/fbblock" || fbbad=$((fbbad + 1))
done
if [ "$fbbad" = 0 ] && [ "$bad" = 0 ]; then
	echo "check -tanp vs netstat -tanp in each namespace and vs no BPF: identical ($N namespaces, $rows rows)"
else
	echo "check -tanp: $bad of $N namespaces differ from netstat, $fbbad from no BPF"
	fail=1
fi
exit "$fail"
