package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only on HELPLINE_PPROF_ADDR
	"time"

	"helpline/bot"
	"helpline/internal/channel"
	"helpline/internal/config"
	"helpline/internal/server"
	"helpline/internal/sms"
	"helpline/internal/stats"
	"helpline/internal/store"
	"helpline/internal/twilio"
	"helpline/internal/whatsapp"
)

const (
	// drainTime is how long shutdown waits for requests in flight.
	drainTime = 25 * time.Second
	// sessionCache bounds the sessions each process keeps in memory to save
	// a Redis read (about 1 KB each).
	sessionCache = 50_000
)

// serve runs the HTTP server until ctx ends (SIGTERM), then drains.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev := fs.Bool("dev", false, "run without secrets: signature checks off, for local trials only")
	dir := fs.String("flows", "", "load flows from this directory instead of the built-in ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := cfg.ValidateServe(*dev); err != nil {
		fmt.Fprintf(stderr, "helpline serve: %v\n(helpline serve --dev runs without them, for local trials)\n", err)
		return 2
	}
	set, err := loadFlows(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return 1
	}
	secret := []byte(cfg.Secret)
	if *dev {
		fmt.Fprintln(stderr, "*** helpline serve --dev: SIGNATURE CHECKS ARE OFF where no secret is set. Never expose this to the internet. ***")
		if len(secret) == 0 {
			secret = make([]byte, 32)
			rand.Read(secret)
		}
	}

	st, err := store.Open(cfg.Redis, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer st.Close()
	rt := st.CountRoundTrips()
	// Skip the read when this process wrote a conversation last (the
	// version check still guards every write).
	st.Cache(sessionCache, cfg.SessionTTL)

	metrics := server.NewMetrics()
	metrics.Counter("helpline_redis_roundtrips_total", "Round trips to Redis (a pipeline counts once).", func() float64 { return float64(rt.Count()) })

	if err := checkProvider(set, cfg.Provider); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	eng, err := bot.New(bot.Config{
		Flows: set, Store: st, OrgName: cfg.OrgName, Phone: cfg.Phone, SessionTTL: cfg.SessionTTL,
		Handoffs: cfg.Handoffs(), RatePerMinute: cfg.RatePerNumber, Provider: cfg.Provider,
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv := server.New(st, metrics, log)
	srv.Models = eng.Models()

	// Every channel's messages take one path; what happened goes to the
	// subscribers registered here.
	path := channel.New(eng, secret, log)
	metrics.Subscribe(path)
	rec := stats.NewRecorder(st.Counters(stats.Retention))
	buffer := rec.Buffer()
	buffer.Subscribe(path)
	// Past the line's limit: HELP answered, conversations this process
	// serves told once a minute, new numbers not at all. SMS and WhatsApp
	// are one Twilio account's budget.
	path.Limit(channel.NewLimiter(cfg.RateGlobal, cfg.RatePerNumber), st, sms.Channel, whatsapp.Channel)
	w, err := wire(ctx, cfg, *dev, secret, eng, set, st, path, rec, metrics, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer w.stop()
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		buffer.Run(w.ctx(), 5*time.Second)
	}()
	go func() {
		// A STOP the store could not take is written when it answers.
		defer w.wg.Done()
		eng.RetryStops(w.ctx(), time.Second)
	}()

	if cfg.SMS() || *dev {
		hook := twilio.Webhook{AuthToken: cfg.TwilioAuthToken, PublicURL: cfg.PublicURL, Insecure: *dev && cfg.TwilioAuthToken == "", Log: log}
		srv.Handle("POST /twilio/sms", sms.Handler(hook, path, cfg.SMSUnicode))
		srv.Handle("POST /twilio/whatsapp", whatsapp.Handler(hook, path))
	}
	w.mount(srv)

	if addr := cfg.PprofAddr; addr != "" {
		// Profiling on a separate, private listener (loopback in practice).
		go func() {
			err := http.ListenAndServe(addr, http.DefaultServeMux)
			log.Warn("pprof listener stopped", "err", err)
		}()
	}
	log.Info("helpline serving", "addr", cfg.Addr, "metrics_addr", cfg.MetricsAddr, "sms", cfg.SMS() || *dev, "whatsapp", cfg.SMS() || *dev, "slack", cfg.Slack(), "handoffs", w.handoffs != nil,
		"embedded_redis", st.Embedded(), "flow", set.Screening().ID, "flow_version", set.Screening().Version, "models", eng.Models())
	if err := srv.Run(ctx, cfg.Addr, cfg.MetricsAddr, drainTime); err != nil {
		log.Error("server stopped", "err", err.Error())
		return 1
	}
	log.Info("helpline stopped")
	return 0
}
