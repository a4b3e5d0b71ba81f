package nshost

import (
	"github.com/gameday-dev/gameday/internal/hostns"
)

// run runs a command and returns its combined output, or an error quoting
// it.
func run(argv ...string) (string, error) { return hostns.Run(argv...) }

// Exec runs argv inside host h's network namespace and returns its combined
// output, failing the test if it fails.
func (b *Bed) Exec(h *Host, argv ...string) string {
	b.tb.Helper()
	out, err := b.TryExec(h, argv...)
	if err != nil {
		b.tb.Fatalf("nshost: %v", err)
	}
	return out
}

// TryExec runs argv inside host h's network namespace and returns its
// combined output and error.
func (b *Bed) TryExec(h *Host, argv ...string) (string, error) {
	return run(append([]string{"ip", "netns", "exec", h.NS}, argv...)...)
}

// teardown kills every process in the bed's namespaces and deletes them;
// the uplink and the veth pairs go with the hub namespace.
func (b *Bed) teardown() {
	for _, h := range b.Hosts {
		h.Kill()
		h.redis.kill()
	}
	var names []string
	for _, h := range b.Hosts {
		names = append(names, h.NS)
	}
	names = append(names, b.hub)
	for _, ns := range names {
		if err := hostns.RemoveNamespace(ns); err != nil {
			b.tb.Errorf("nshost: teardown: %v", err)
		}
	}
}
