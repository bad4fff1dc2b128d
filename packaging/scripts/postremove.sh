#!/bin/sh
# Makes systemd forget the removed unit. Data in /var/lib/hoist and the hoist
# user are left in place: they hold uploads the package did not create.
set -e

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
