#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (as /zcpool/guest.sh): the user-space tests of zcpool.
#
# lifecycle_test loads and unloads zcpool.ko itself, so it runs first with the
# module unloaded; the others run with it loaded. Each test prints kselftest
# TAP ending in a "# Totals:" line; a binary that dies without one is reported
# by the "zcpool-test: NAME rc N" line, which the host also reads. When
# tests.conf sets ZCPOOL_TESTS, only the binaries it names run.

export ZCPOOL_KO=/zcpool/zcpool.ko
ZCPOOL_TESTS=
[ -f ./tests.conf ] && . ./tests.conf
want=$ZCPOOL_TESTS
fail=0

selected() {
	[ -z "$want" ] && return 0
	case " $want " in *" $1 "*) return 0 ;; esac
	return 1
}

run() {
	selected "$1" || return 0
	# A test killed before its teardown leaves no fault delay to the next.
	knob=/sys/kernel/debug/zcpool/fault_race_delay_us
	[ ! -w $knob ] || echo 0 >$knob
	echo "zcpool-test: $1 start"
	"./$1"
	rc=$?
	echo "zcpool-test: $1 rc $rc"
	[ $rc -eq 0 ] || fail=1
}

run lifecycle_test

insmod "$ZCPOOL_KO" || { echo "zcpool-test: insmod failed"; exit 1; }
for t in info_test alloc_test fault_test stats_test mmap_test zerocopy_test demo_test; do
	run $t
done
# The randomized, fault-injection, race, leak and limit tests.
for t in infoleak_test memcg_test fuzz_test race_test faultinject_test; do
	run $t
done
rmmod zcpool || { echo "zcpool-test: rmmod failed after the tests"; fail=1; }
exit $fail
