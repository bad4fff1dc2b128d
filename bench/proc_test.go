package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// benchProc is what one process cost: its peak resident set and the CPU time
// (user + system) it used.
type benchProc struct {
	PeakRSS int64 // bytes
	CPU     time.Duration
}

// benchProcFromState reads the CPU time of a child that has exited; its peak
// RSS comes from a benchRSSWatch. (The child's rusage maxrss will not do:
// Go starts children with vfork, and Linux counts the parent's resident set,
// which the child shares until it execs, into the child's maximum.)
func benchProcFromState(ps *os.ProcessState, peakRSS int64) benchProc {
	return benchProc{PeakRSS: peakRSS, CPU: ps.UserTime() + ps.SystemTime()}
}

// benchRSSWatch samples a running process's VmHWM (the high-water mark of its
// resident set since it execed) until stopped.
type benchRSSWatch struct {
	peak     atomic.Int64
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// benchWatchRSS starts sampling pid every few milliseconds.
func benchWatchRSS(pid int) *benchRSSWatch {
	w := &benchRSSWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if p, err := benchProcNow(pid); err == nil {
				w.peak.Store(max(w.peak.Load(), p.PeakRSS))
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// end stops sampling (once; later calls just wait) and returns the highest
// VmHWM seen.
func (w *benchRSSWatch) end() int64 {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
	return w.peak.Load()
}

// benchClockTick is the unit of the CPU times in /proc/PID/stat: USER_HZ,
// 100 on every Linux architecture Go supports.
const benchClockTick = 10 * time.Millisecond

// benchProcNow reads the cost so far of a running process from /proc: VmHWM
// (peak RSS) and utime+stime.
func benchProcNow(pid int) (benchProc, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return benchProc{}, err
	}
	var p benchProc
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return benchProc{}, fmt.Errorf("/proc/%d/status VmHWM %q: %w", pid, rest, err)
			}
			p.PeakRSS = kib << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return benchProc{}, err
	}
	// The command name (field 2) may hold spaces; fields after its closing
	// parenthesis are plain. utime and stime are fields 14 and 15.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return benchProc{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return benchProc{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	for _, f := range fields[11:13] {
		ticks, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return benchProc{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		p.CPU += time.Duration(ticks) * benchClockTick
	}
	return p, nil
}
