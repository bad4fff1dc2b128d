package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// Endpoint is the HTTP listener of `hoist serve --metrics-listen`:
//
//	/metrics   the registry, in the Prometheus exposition formats
//	/healthz   200 while the process runs
//	/readyz    200 while ready says so and Drain has not been called, else 503
//
// Create it with Listen, run it with Serve, stop it with Shutdown.
type Endpoint struct {
	ln       net.Listener
	srv      *http.Server
	ready    func(ctx context.Context) error
	draining atomic.Bool
}

// Listen opens the TCP listener at addr for reg's metrics. ready is asked
// at each /readyz request (nil: always ready until Drain).
func Listen(addr string, reg *prometheus.Registry, ready func(ctx context.Context) error) (*Endpoint, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener on %s: %w", addr, err)
	}
	e := &Endpoint{ln: ln, ready: ready}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", e.serveReady)
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return e, nil
}

// Addr is the address the endpoint listens on.
func (e *Endpoint) Addr() net.Addr { return e.ln.Addr() }

// Serve serves requests until Shutdown; it then returns nil.
func (e *Endpoint) Serve() error {
	if err := e.srv.Serve(e.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Drain makes /readyz answer 503 from now on, so that load balancers stop
// sending new connections before the server closes its listeners.
func (e *Endpoint) Drain() { e.draining.Store(true) }

// Shutdown stops the endpoint, waiting for requests in progress until ctx
// is done, after which they are cut.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	e.Drain()
	err := e.srv.Shutdown(ctx)
	if err != nil {
		e.srv.Close()
	}
	return err
}

func (e *Endpoint) serveReady(w http.ResponseWriter, r *http.Request) {
	if e.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if e.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := e.ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}
