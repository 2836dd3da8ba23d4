# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the zcpool scripts: sourced, never run.
#
# Everything cached (kernel sources, kernel builds, downloaded packages) lives
# under $ZCPOOL_CACHE, outside the checkout, so a second run reuses it.

ZCPOOL_CACHE=${ZCPOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zcpool}
ZCPOOL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZCPOOL_TARGETS="stock debug-6.1 debug-6.12"
# Kernels for `make bench` only: no tests run on them.
ZCPOOL_BENCH_TARGETS="stock perf-6.1"
# The kernel for scripts/coverage only.
ZCPOOL_COVERAGE_TARGET=cov-6.1

# make in userspace-test/ with ARGS: the kselftest harness from the source
# tree of the target loaded last (load_target), the binaries in
# out/userspace-test/.
make_userspace() {
	make -C "$ZCPOOL_TOP/userspace-test" KSFT_DIR="$SRC/tools/testing/selftests" \
		OUT="$ZCPOOL_TOP/out/userspace-test" "$@"
}

# The tests one VM run carries, in the order make check runs them: KUnit
# (zcpool_test.ko, through guest-kunit.sh) when KUNIT is 1, then every
# user-space test binary in out/userspace-test/ (through run-tests.sh) when
# UTEST is 1, with zcpool.ko from the build directory DIR. Sets the array
# VM_TEST_FILES to vm-run's --file arguments and writes GUEST, the script
# the guest runs, but for its end: each step sets rc=1 when it fails and
# the next runs anyway. The caller adds its own files to the array (a
# tests.conf, --kmod modules), its own steps to GUEST, and `exit $rc`.
# ZCPOOL_KUNIT_ARGS, when set, is zcpool_test.ko's parameters (the seeds
# its randomized cases print, e.g. "pool_seed=123 buddy_seed=456").
#   vm_test_plan DIR KUNIT UTEST GUEST
vm_test_plan() {
	local dir=$1 kunit=$2 utest=$3 guest=$4 f arg kunit_args=()

	VM_TEST_FILES=(--file "$dir/mod/zcpool.ko")
	echo 'rc=0' >"$guest"
	if [ "$kunit" = 1 ]; then
		# Split without globbing; words of NAME=NUMBER only, as they go
		# into the guest's script.
		read -r -a kunit_args <<<"${ZCPOOL_KUNIT_ARGS:-}"
		for arg in "${kunit_args[@]}"; do
			[[ "$arg" =~ ^[a-z_]+=[0-9]+$ ]] ||
				die "ZCPOOL_KUNIT_ARGS: '$arg' is not NAME=NUMBER (e.g. pool_seed=123)"
		done
		VM_TEST_FILES+=(--file "$dir/mod/zcpool_test.ko"
			--file "$ZCPOOL_TOP/scripts/guest-kunit.sh")
		echo "sh /zcpool/guest-kunit.sh ${kunit_args[*]} || rc=1" >>"$guest"
	fi
	if [ "$utest" = 1 ]; then
		# demo_test runs the demo program.
		for f in "$ZCPOOL_TOP"/out/userspace-test/*_test "$ZCPOOL_TOP"/out/userspace-test/zcpool_demo; do
			VM_TEST_FILES+=(--file "$f")
		done
		VM_TEST_FILES+=(--file "$ZCPOOL_TOP/userspace-test/run-tests.sh")
		echo 'sh /zcpool/run-tests.sh || rc=1' >>"$guest"
	fi
}

die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

note() {
	echo "${0##*/}: $*" >&2
}

# The Debian stock kernel release that linux-image-amd64 points at (e.g. 6.1.0-56-amd64).
stock_kernel_release() {
	local dep

	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) ||
		die "linux-image-amd64 is not installed (run scripts/install-deps)"
	dep=${dep%%[ ,|]*}
	echo "${dep#linux-image-}"
}

# Path of the file describing a built target: shell assignments KVER, KDIR
# (tree to build modules against), VMLINUZ, SRC (source tree with scripts/ and
# tools/), DEBUG (1 for the sanitizer kernels) and MODDIR (extra modules).
target_env_file() {
	echo "$ZCPOOL_CACHE/targets/$1.env"
}

# Replace target $1's description with stdin, whole or not at all: a
# reader never sees a half-written file, nor one left by an interrupted run.
write_target_env() {
	local env

	env=$(target_env_file "$1")
	cat >"$env.tmp.$$"
	mv -f "$env.tmp.$$" "$env"
}

# Whether the description file $1 still names a kernel that is there: an
# upgrade of Debian's kernel, or a cache cleaned by hand, leaves one behind
# that points at files since removed.
target_env_current() {
	(
		# shellcheck disable=SC1090
		. "$1" && [ -n "$KVER" ] && [ -f "$VMLINUZ" ] && [ -d "$KDIR" ] &&
			[ -d "$SRC/scripts" ] || exit 1
		if [ -n "$MODDIR" ]; then
			[ "$KVER" = "$(stock_kernel_release)" ] || exit 1
		fi
	) 2>/dev/null
}

load_target() {
	local env

	case " $ZCPOOL_TARGETS $ZCPOOL_BENCH_TARGETS $ZCPOOL_COVERAGE_TARGET " in
	*" $1 "*) ;;
	*) die "unknown kernel target '$1' (known: $ZCPOOL_TARGETS perf-6.1 cov-6.1)" ;;
	esac
	env=$(target_env_file "$1")
	target_env_current "$env" || "$ZCPOOL_TOP/scripts/build-kernel" "$1" ||
		die "could not prepare kernel target '$1'"
	# shellcheck disable=SC1090
	. "$env"
}
