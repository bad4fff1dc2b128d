//go:build !(linux || darwin || freebsd)

package metrics

import "github.com/prometheus/client_golang/prometheus"

// registerDiskSpace does nothing where statfs is not available.
func registerDiskSpace(*prometheus.Registry, string) {}
