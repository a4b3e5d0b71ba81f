package metrics

import (
	"fmt"
	"net"

	"github.com/gameday-dev/gameday/internal/listen"
)

// Listen opens addr, the --metrics-listen address, before the session is
// opened: a malformed address or a port in use is one sentence, and
// nothing has been recorded yet.
func Listen(addr string) (net.Listener, error) {
	ln, err := listen.TCP(addr, "another gameday, or another program,")
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	return ln, nil
}

// ScrapeTarget is the host:port a Prometheus on this machine scrapes for
// an exporter listening on a: a loopback address when it listens on
// every address.
func ScrapeTarget(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
