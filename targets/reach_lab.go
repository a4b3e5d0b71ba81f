package targets

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// CheckLab reaches the lab's own endpoints: the supervisor's control API
// (an authenticated GET /v1/nodes, so the row also proves the lab's token
// can be read here) and the embedded Toxiproxy API (GET /version). Without
// them faults on lab hosts cannot be armed or reverted.
func CheckLab(ctx context.Context, l Lab) []Readiness {
	var rows []Readiness
	if l.Control != "" {
		rows = append(rows, Timed(Readiness{Item: "lab", Kind: "lab control", Address: l.Control}, func() (string, error) {
			nodes, err := labapi.NewClient(l.Control, l.Dir).Nodes(ctx)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("answers: %d nodes", len(nodes)), nil
		}))
	}
	if l.Toxiproxy != "" {
		rows = append(rows, Timed(Readiness{Item: "lab", Kind: "toxiproxy", Address: l.Toxiproxy}, func() (string, error) {
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

// checkLabHost proves a lab node runs and listens. Which process is the
// node now is the lab's to say: a node killed and started again by a
// revert runs under a new pid, while the inventory keeps the pid it was
// written with. Only an inventory that names no running lab (written by
// hand) is judged by the pid it records.
func checkLabHost(ctx context.Context, inv *Inventory, h Host) Readiness {
	n := *h.Lab
	return Timed(Readiness{Item: h.Name, Kind: "lab " + n.Kind, Address: n.Listen}, func() (string, error) {
		var parts []string
		switch {
		case inv.Lab != nil && inv.Lab.Control != "":
			live, err := labNode(ctx, *inv.Lab, h.Name)
			if err != nil {
				return "", err
			}
			switch live.State {
			case labapi.StateStopped:
				return "", fmt.Errorf("the lab reports %s stopped", h.Name)
			case labapi.StatePaused:
				return "", fmt.Errorf("the lab reports %s paused (pid %d)", h.Name, live.PID)
			}
			part := fmt.Sprintf("pid %d running", live.PID)
			if n.PID != 0 && live.PID != n.PID {
				part += fmt.Sprintf(" (restarted since the inventory's pid %d)", n.PID)
			}
			parts = append(parts, part)
			if live.Listen != "" {
				n.Listen = live.Listen
			}
		case n.PID != 0:
			if !proc.Alive(n.PID) {
				return "", fmt.Errorf("process %d is not running", n.PID)
			}
			parts = append(parts, fmt.Sprintf("pid %d alive", n.PID))
		case n.Listen == "":
			return "", fmt.Errorf("lab node has neither a pid nor a listen address to check")
		}
		if n.Listen != "" {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "tcp", n.Listen)
			if err != nil {
				return "", fmt.Errorf("%s: %w", strings.Join(append(parts, "listen address refuses"), ", "), err)
			}
			conn.Close()
			parts = append(parts, "listening")
		}
		return strings.Join(parts, ", "), nil
	})
}

// labNode asks the lab for one node's live status.
func labNode(ctx context.Context, l Lab, name string) (labapi.NodeStatus, error) {
	nodes, err := labapi.NewClient(l.Control, l.Dir).Nodes(ctx)
	if err != nil {
		return labapi.NodeStatus{}, fmt.Errorf("ask the lab which process %s is: %w", name, err)
	}
	for _, n := range nodes {
		if n.Name == name {
			return n, nil
		}
	}
	return labapi.NodeStatus{}, fmt.Errorf("the lab at %s has no node %s (is the inventory from another lab?)", l.Control, name)
}
