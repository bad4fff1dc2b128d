package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/metrics"
	"github.com/hoist-dev/hoist/transfer/server"
)

// serverLoggers returns the server's logger, writing to w in the format and
// from the level cfg asks for, and the logger for chaos mode, which logs at
// warn level even when the server's level is higher: its banner and counts
// must not be missed.
func serverLoggers(cfg config.Server, w io.Writer) (log, chaosLog *slog.Logger) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo // config validated the word already
	}
	handler := func(level slog.Level) slog.Handler {
		opts := &slog.HandlerOptions{Level: level}
		if cfg.LogFormat == "json" {
			opts.ReplaceAttr = durationsInSeconds
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	return slog.New(handler(level)), slog.New(handler(min(level, slog.LevelWarn)))
}

// durationsInSeconds writes durations as seconds (a float) in JSON logs,
// rather than slog's nanoseconds.
func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}

// opsEndpoint is the optional HTTP listener for metrics and health checks.
// Its methods do nothing on a nil *opsEndpoint (no --metrics-listen).
type opsEndpoint struct {
	ep   *metrics.Endpoint
	done chan error
}

// newObserver returns the metrics collectors if cfg asks for a metrics
// listener, else nil.
func newObserver(cfg config.Server) *metrics.Metrics {
	if cfg.MetricsListen == "" {
		return nil
	}
	return metrics.New()
}

// startOps opens the metrics listener for m (nil: none) on srv, announces
// it on stderr and serves it until stop.
func startOps(cfg config.Server, m *metrics.Metrics, srv *server.Server, stderr io.Writer) (*opsEndpoint, error) {
	if m == nil {
		return nil, nil
	}
	m.Watch(srv, cfg.Root)
	ep, err := metrics.Listen(cfg.MetricsListen, m.Registry(), srv.Ready)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "hoist: metrics on http://%s/metrics\n", ep.Addr())
	o := &opsEndpoint{ep: ep, done: make(chan error, 1)}
	go func() { o.done <- ep.Serve() }()
	return o, nil
}

// drain makes /readyz answer 503 and then waits delay before the caller
// closes the listeners, so that load balancers stop sending connections
// first.
func (o *opsEndpoint) drain(delay time.Duration, log *slog.Logger) {
	if o == nil {
		return
	}
	o.ep.Drain()
	if delay <= 0 {
		return
	}
	log.Info("draining: /readyz reports not ready; listeners stay open", "for", delay)
	time.Sleep(delay)
}

// stop shuts the HTTP listener down and waits for its goroutine.
func (o *opsEndpoint) stop(ctx context.Context) error {
	if o == nil {
		return nil
	}
	err := o.ep.Shutdown(ctx)
	if serr := <-o.done; serr != nil && err == nil {
		err = fmt.Errorf("metrics listener: %w", serr)
	}
	return err
}
