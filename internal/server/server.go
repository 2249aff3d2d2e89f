// Package server is helpline's HTTP side: the routes every channel shares
// (health, readiness, metrics), the Prometheus metrics of the contract, and
// a server that drains in-flight requests on shutdown.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Pinger reports whether a dependency (the store) answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server routes requests to the channels and serves /healthz, /readyz and
// /metrics.
type Server struct {
	mux     *http.ServeMux
	store   Pinger
	metrics *Metrics
	log     *slog.Logger
}

// New returns a server whose /readyz checks store and whose /metrics serves m.
func New(store Pinger, m *Metrics, log *slog.Logger) *Server {
	s := &Server{mux: http.NewServeMux(), store: store, metrics: m, log: log}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
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
}

// Run serves on addr until ctx ends, then stops accepting connections and
// waits up to drain for requests in flight to finish.
func (s *Server) Run(ctx context.Context, addr string, drain time.Duration) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, l, drain)
}

// Serve is Run on an existing listener.
func (s *Server) Serve(ctx context.Context, l net.Listener, drain time.Duration) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests in flight", "deadline", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
