// Package metrics is gameday's own /metrics: what a live session knows —
// the probes' latest readings, the faults with their armed windows and
// figures, who is attached — in Prometheus's text format, so that a
// Grafana board shows game-day windows next to a service's own metrics.
//
// Nothing here measures or computes a figure: an Exporter follows the
// session's one event stream (an attachment of a program, session.Watch)
// and exports the probes' readings as recorded and the fault figures of
// timeline's Analyzer, the same ones the screens and the report show. Its
// registry is its own, never the process-wide default one; labels carry
// what events carry, which Record has already redacted.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/timeline"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Exporter exports one session's metrics. Make it with New, serve it with
// Serve (or mount Handler), end it with Close.
type Exporter struct {
	sess *session.Session
	feed *session.Attachment
	reg  *prometheus.Registry
	now  func() time.Time

	mu sync.Mutex
	st *state

	followed chan struct{} // closed when the feed has ended
	srvMu    sync.Mutex
	srv      *http.Server
	served   chan struct{} // closed when Serve has returned
}

// New follows sess's events from now on (with the session's kept history
// first, as a screen attaching late gets it) and registers the session's
// metrics in a registry of their own.
func New(sess *session.Session) (*Exporter, error) {
	feed, err := sess.Watch("metrics")
	if err != nil {
		return nil, err
	}
	e := &Exporter{sess: sess, feed: feed, reg: prometheus.NewRegistry(), now: time.Now,
		st: newState(), followed: make(chan struct{})}
	if err := e.reg.Register(collector{e}); err != nil {
		feed.Detach()
		return nil, err
	}
	go e.follow()
	return e, nil
}

// follow feeds the state with the session's events until the feed ends.
func (e *Exporter) follow() {
	defer close(e.followed)
	for {
		events, reset, ok := e.feed.Next()
		if !ok {
			return
		}
		e.mu.Lock()
		if reset {
			e.st.reset()
		}
		for _, ev := range events {
			e.st.take(ev)
		}
		e.mu.Unlock()
	}
}

// Registry is the exporter's own registry.
func (e *Exporter) Registry() *prometheus.Registry { return e.reg }

// Handler serves the metrics in Prometheus's exposition formats.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// Serve serves Handler at Path on l until Close; it returns nil after
// Close.
func (e *Exporter) Serve(l net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle(Path, e.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("gameday: metrics at " + Path + "\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	e.srvMu.Lock()
	if e.srv != nil {
		e.srvMu.Unlock()
		return errors.New("metrics: already serving")
	}
	e.srv, e.served = srv, make(chan struct{})
	e.srvMu.Unlock()
	defer close(e.served)
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops serving (a scrape in progress finishes first, within a few
// seconds) and stops following the session. The session's own Close
// stops the following too; the last state stays served until Close.
func (e *Exporter) Close() error {
	e.srvMu.Lock()
	srv, served := e.srv, e.served
	e.srvMu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(ctx)
		cancel()
		<-served
	}
	e.feed.Detach()
	<-e.followed
	return err
}

// snapshot returns what one scrape exports, taken under the lock so that
// every metric of a scrape describes the same moment.
func (e *Exporter) snapshot() snapshot {
	listed, _ := e.sess.ListedArmed()
	people := e.sess.People()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.snapshot(e.now(), listed, people, e.sess.ArmedBy, e.sess.Probes())
}

var _ = timeline.NewAnalyzer // the state's analyzer: see state.go
