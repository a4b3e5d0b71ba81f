package targets

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// CheckLab reaches the lab's own endpoints: the supervisor's control API
// (TCP) and the embedded Toxiproxy API (GET /version). Without them faults
// on lab hosts cannot be armed or reverted.
func CheckLab(ctx context.Context, l Lab) []Readiness {
	var rows []Readiness
	if l.Control != "" {
		rows = append(rows, timed(Readiness{Item: "lab", Kind: "lab control", Address: l.Control}, func() (string, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", l.Control)
			if err != nil {
				return "", fmt.Errorf("connect: %w", err)
			}
			c.Close()
			return "accepts connections", nil
		}))
	}
	if l.Toxiproxy != "" {
		rows = append(rows, timed(Readiness{Item: "lab", Kind: "toxiproxy", Address: l.Toxiproxy}, func() (string, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+l.Toxiproxy+"/version", nil)
			if err != nil {
				return "", err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return "", fmt.Errorf("GET /version: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("GET /version: %s", resp.Status)
			}
			return "toxiproxy " + strings.TrimSpace(string(body)), nil
		}))
	}
	return rows
}
