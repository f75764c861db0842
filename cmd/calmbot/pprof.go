package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/calmbot/calmbot/webserve"
)

// profileListen opens serve's --pprof listener: Go's runtime profiles
// (/debug/pprof/) for finding where time and memory go under load. It is a
// debugging aid, off by default, and only binds a loopback address: the
// profiles show what the process holds.
func profileListen(addr string) (net.Listener, error) {
	ln, err := webserve.ListenLoopback(addr)
	switch {
	case errors.Is(err, webserve.ErrNotLoopback):
		return nil, fmt.Errorf("--pprof %q: the profiles may only be served on a loopback address (127.0.0.1:6060)", addr)
	case err != nil:
		return nil, fmt.Errorf("--pprof %q: %w", addr, err)
	}
	return ln, nil
}

// serveProfiles serves the runtime profiles on ln until ctx is done.
func serveProfiles(ctx context.Context, ln net.Listener, log *slog.Logger) {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: m, ReadHeaderTimeout: headerTimeout}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("profiles (debug)", "pprof", "http://"+ln.Addr().String()+"/debug/pprof/")
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("profiles listener", "err", err)
	}
}
