package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/channel"
	"helpline/internal/config"
	"helpline/internal/store"
)

// chat holds a screening in the terminal: each line of stdin is one text.
// With no Redis configured it runs on the embedded store.
func chat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "en", "language to start in (en or es)")
	dir := fs.String("flows", "", "load flows from this directory instead of the built-in ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	set, err := loadFlows(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(cfg.Redis, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer st.Close()
	if err := checkProvider(set, cfg.Provider); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	eng, err := bot.New(bot.Config{Flows: set, Store: st, OrgName: cfg.OrgName, Phone: cfg.Phone, SessionTTL: cfg.SessionTTL, Provider: cfg.Provider})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}

	// The terminal is a channel like any other: its messages take the
	// one path, logged at warnings and above.
	path := channel.New(eng, []byte(cfg.Secret), log)
	from := "chat:" + or(getenv("USER"), "local")
	interactive := isTerminal(stdin)
	n := 0
	send := func(text string) {
		n++
		t := path.Handle(ctx, "chat", from, bot.Inbound{Text: text, MessageID: "chat-" + strconv.Itoa(n) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36), Lang: *lang})
		for _, r := range t.Outcome.Texts() {
			fmt.Fprintf(stdout, "%s\n\n", r)
		}
	}
	// A texter writes first; in the terminal the greeting comes unasked.
	send("hi")
	sc := bufio.NewScanner(stdin)
	for {
		if interactive {
			fmt.Fprint(stdout, "> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !interactive {
			fmt.Fprintf(stdout, "> %s\n", line)
		}
		send(line)
		if ctx.Err() != nil {
			break
		}
	}
	return 0
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// loadFlows loads the built-in flows, or those in dir.
func loadFlows(dir string) (*flows.Set, error) {
	if dir == "" {
		return flows.Default()
	}
	return flows.Load(os.DirFS(dir))
}

// checkProvider checks the provider's facts against the flows they answer
// in (every language, each answer within its SMS budget).
func checkProvider(set *flows.Set, p *flows.Provider) error {
	if p == nil {
		return nil
	}
	if err := set.CheckProvider(p); err != nil {
		return fmt.Errorf("HELPLINE_PROVIDER_FILE:\n%w", err)
	}
	return nil
}
