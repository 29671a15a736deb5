package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opengovcloud/govcloud"
	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "platformd:", err)
		os.Exit(1)
	}
}

type flags struct {
	addr            string
	sqlite          string
	postgres        string
	tokens          string
	vendors         string
	maxBody         int64
	shutdownTimeout time.Duration
	overdueEvery    time.Duration
	expireEvery     time.Duration
	outboxRetention time.Duration
	relay           bool
	hashToken       bool
	logLevel        string
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("platformd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", ":8080", "listen address")
	fs.StringVar(&f.sqlite, "sqlite", "platformd.db", "SQLite database file (ignored with -postgres)")
	fs.StringVar(&f.postgres, "postgres", os.Getenv("GOVCLOUD_POSTGRES_DSN"), "PostgreSQL DSN (default $GOVCLOUD_POSTGRES_DSN); replaces -sqlite")
	fs.StringVar(&f.tokens, "tokens", "", "tokens file (JSON; see the package documentation) (required)")
	fs.StringVar(&f.vendors, "vendors", "", "vendors file (JSON): providers reached over adapters/httpprovider; enables the dispatcher")
	fs.Int64Var(&f.maxBody, "max-body", server.DefaultMaxBodyBytes, "maximum request body in bytes")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long to drain requests on SIGTERM")
	fs.DurationVar(&f.overdueEvery, "overdue-every", time.Minute, "period of the overdue scan")
	fs.DurationVar(&f.expireEvery, "expire-holds-every", time.Minute, "period of the quota hold expiry (holds past their time-to-live are released)")
	fs.DurationVar(&f.outboxRetention, "outbox-retention", server.DefaultOutboxRetention, "how long outbox messages are kept; older ones every subscriber has acknowledged are deleted hourly (negative: keep forever)")
	fs.BoolVar(&f.relay, "relay", true, "run the outbox relay (quota subscriber)")
	fs.BoolVar(&f.hashToken, "hash-token", false, "read a token from stdin, print its SHA-256 for the tokens file, exit")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !f.hashToken && f.tokens == "" {
		return f, errors.New("-tokens is required")
	}
	if f.maxBody <= 0 {
		return f, fmt.Errorf("-max-body must be positive, got %d", f.maxBody)
	}
	return f, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if f.hashToken {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if line = strings.TrimSpace(line); line == "" {
			return errors.New("-hash-token: no token on stdin")
		}
		_, err = fmt.Fprintln(stdout, server.HashToken(line))
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	tokens, err := server.LoadTokens(f.tokens)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	opts := govcloud.Options{Logger: log}
	if f.vendors != "" {
		if opts.Providers, opts.Vendors.CallbackSecret, err = loadVendors(f.vendors, os.Getenv); err != nil {
			return err
		}
		host, _ := os.Hostname()
		opts.Vendors.Owner = fmt.Sprintf("platformd-%s-%d", host, os.Getpid())
	}
	db := "sqlite"
	if f.postgres != "" {
		opts.PostgresDSN, db = f.postgres, "postgres"
	} else {
		opts.SQLitePath = f.sqlite
	}
	p, err := govcloud.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer p.Close()

	h, err := server.New(server.Config{Platform: p, Tokens: tokens, Logger: log, MaxBodyBytes: f.maxBody})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              f.addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	log.Info("platformd listening", "addr", ln.Addr().String(), "database", db, "tokens", tokens.Len(),
		"quota_mode", p.QuotaMode().Label(0))

	workerCtx, stopWorkers := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		h.RunWorkers(workerCtx, server.WorkerOptions{OverdueEvery: f.overdueEvery, ExpireHoldsEvery: f.expireEvery,
			OutboxRetention: f.outboxRetention, Relay: f.relay})
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err = <-serveErr:
		log.Error("server stopped", "error", err.Error())
	case <-ctx.Done():
		log.Info("shutting down", "timeout", f.shutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
		err = srv.Shutdown(sctx) // stop accepting, drain requests in flight
		cancel()
		if err != nil {
			log.Warn("drain incomplete; closing connections", "error", err.Error())
			_ = srv.Close()
		}
		err = nil
	}
	stopWorkers()
	wg.Wait()
	log.Info("workers stopped; closing the platform")
	if cerr := p.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
