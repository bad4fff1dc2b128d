#!/bin/sh
# Makes systemd see the unit. A fresh install leaves the service stopped, so
# that nothing listens before the operator has read /etc/hoist/config.toml; an
# upgrade restarts the service if it was running.
#
# Arguments: deb "configure" [OLD_VERSION]; rpm 1 (install) or 2 (upgrade).
set -e

upgrade=no
case "$1" in
configure) if [ -n "$2" ]; then upgrade=yes; fi ;;
[0-9]*) if [ "$1" -ge 2 ]; then upgrade=yes; fi ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	if [ "$upgrade" = yes ]; then
		systemctl try-restart hoist.service >/dev/null 2>&1 || true
	fi
fi

if [ "$upgrade" = no ]; then
	cat <<'MSG'
hoist is installed. To run the server:
  edit /etc/hoist/config.toml, then: systemctl enable --now hoist
Mint a token with:
  sudo -u hoist hoist token --root /var/lib/hoist --sub NAME --ttl 24h
MSG
fi
