# shellcheck shell=sh
# TAP lines for the test scripts of the guest harness: sourced by host
# scripts (bash) and, as /lib/xshm/tap.sh in every initramfs that
# make-initramfs.sh builds, by the guests' scripts (busybox sh).
#   result STATUS DESCRIPTION   "ok N DESCRIPTION" if STATUS is 0, else
#                               "not ok N ..." and failed=1
n=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
	fi
}
