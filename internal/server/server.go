// Package server is helpline's HTTP side: the routes every channel shares
// (health, readiness, metrics), the Prometheus metrics of the contract, and
// a server that drains in-flight requests on shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Pinger reports whether a dependency (the store) answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server routes requests to the channels and serves /healthz, /readyz and
// /metrics; /metrics on a listener of its own when one is given.
type Server struct {
	mux     *http.ServeMux
	store   Pinger
	metrics http.Handler
	log     *slog.Logger
	// apart is set when /metrics has a listener of its own.
	apart bool
	// Models names the learned models served, shown by /readyz.
	Models string
}

// New returns a server whose /readyz checks store and whose /metrics serves m.
func New(store Pinger, m *Metrics, log *slog.Logger) *Server {
	s := &Server{mux: http.NewServeMux(), store: store, metrics: m.Handler(), log: log}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.apart {
			http.NotFound(w, r)
			return
		}
		s.metrics.ServeHTTP(w, r)
	})
	return s
}

// Handle mounts a channel's handler.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ready answers 200 while the store answers; the flows were loaded and
// validated before the server started, or it would not have.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
	if s.Models != "" {
		w.Write([]byte("models " + s.Models + "\n"))
	}
}

// Run serves on addr until ctx ends, then stops accepting connections and
// waits up to drain for requests in flight to finish. With metricsAddr
// set, /metrics is served there alone, not on addr.
func (s *Server) Run(ctx context.Context, addr, metricsAddr string, drain time.Duration) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var ml net.Listener
	if metricsAddr != "" {
		if ml, err = net.Listen("tcp", metricsAddr); err != nil {
			l.Close()
			return fmt.Errorf("HELPLINE_METRICS_ADDR: %w", err)
		}
	}
	return s.Serve(ctx, l, ml, drain)
}

// Serve is Run on existing listeners: l serves everything, and metrics,
// when not nil, serves /metrics alone (which l then does not serve).
func (s *Server) Serve(ctx context.Context, l, metrics net.Listener, drain time.Duration) error {
	servers := []*http.Server{s.httpServer(s)}
	listeners := []net.Listener{l}
	if metrics != nil {
		s.apart = true
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics)
		servers = append(servers, s.httpServer(mux))
		listeners = append(listeners, metrics)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	select {
	case err := <-errc:
		for _, srv := range servers {
			srv.Close()
		}
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests in flight", "deadline", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(sctx))
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}
