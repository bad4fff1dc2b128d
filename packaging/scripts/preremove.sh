#!/bin/sh
# Stops and disables the service when the package is removed, not when it is
# upgraded. Uploads in /var/lib/hoist and the hoist user are kept.
#
# Arguments: deb "remove" or "upgrade"; rpm 0 (remove) or 1 (upgrade).
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now hoist.service >/dev/null 2>&1 || true
	fi
	;;
esac
