#!/bin/sh
# Creates the hoist system user and group that hoist.service runs as.
# Runs before the files are unpacked, on install and on upgrade (deb and rpm).
set -e

if ! getent group hoist >/dev/null 2>&1; then
	groupadd --system hoist
fi
if ! getent passwd hoist >/dev/null 2>&1; then
	nologin=/usr/sbin/nologin
	[ -x "$nologin" ] || nologin=/sbin/nologin
	useradd --system --gid hoist --home-dir /var/lib/hoist --no-create-home \
		--shell "$nologin" --comment "hoist upload server" hoist
fi
