package main

import (
	"fmt"
	"net"

	"github.com/spf13/pflag"

	"github.com/gameday-dev/gameday/metrics"
	"github.com/gameday-dev/gameday/session"
)

// MetricsOptions is --metrics-listen, on every command that runs a live
// session: the TUI, lab, lab up, serve and run.
type MetricsOptions struct {
	// Listen is where /metrics is served ("" for nowhere).
	Listen string
}

func addMetricsFlag(f *pflag.FlagSet, o *MetricsOptions) {
	f.StringVar(&o.Listen, "metrics-listen", "", "serve the session's Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464 (see docs/metrics.md)")
}

// listen opens the metrics address, before anything is recorded: a
// malformed address or a port in use is bad input. Nil without the flag.
func (o MetricsOptions) listen() (net.Listener, error) {
	if o.Listen == "" {
		return nil, nil
	}
	ln, err := metrics.Listen(o.Listen)
	if err != nil {
		return nil, &ExitError{Code: ExitBadInput, Err: err}
	}
	return ln, nil
}

// serveMetrics exports sess on ln (nothing when ln is nil) and returns
// what stops it; announce prints where. Stop it after closing the
// session, so that the last scrapes see the session's end.
func serveMetrics(stdio *IOStreams, sess *session.Session, ln net.Listener, announce bool) (stop func(), err error) {
	if ln == nil {
		return func() {}, nil
	}
	exp, err := metrics.New(sess)
	if err != nil {
		ln.Close()
		return nil, &ExitError{Code: ExitFailed, Err: fmt.Errorf("metrics: %w", err)}
	}
	go func() {
		if err := exp.Serve(ln); err != nil {
			fmt.Fprintf(stdio.ErrOut, "gameday: metrics: %v\n", err)
		}
	}()
	if announce {
		fmt.Fprintf(stdio.Out, "metrics: http://%s%s\n", ln.Addr(), metrics.Path)
	}
	return func() { _ = exp.Close() }, nil
}
