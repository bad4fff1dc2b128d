//go:build linux || darwin || freebsd

package metrics

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// registerDiskSpace exports the free and total bytes of the file system
// holding dir, read at each scrape.
func registerDiskSpace(reg *prometheus.Registry, dir string) {
	statfs := func(value func(*unix.Statfs_t) uint64) func() float64 {
		return func() float64 {
			var st unix.Statfs_t
			if err := unix.Statfs(dir, &st); err != nil {
				return math.NaN()
			}
			return float64(value(&st))
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "data_dir_free_bytes",
			Help: "Bytes available to the server on the file system of its data directory."},
			statfs(func(st *unix.Statfs_t) uint64 { return uint64(st.Bavail) * uint64(st.Bsize) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "data_dir_size_bytes",
			Help: "Size of the file system of the data directory, in bytes."},
			statfs(func(st *unix.Statfs_t) uint64 { return uint64(st.Blocks) * uint64(st.Bsize) })),
	)
}
