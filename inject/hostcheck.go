package inject

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// guardTools are what every fault's TTL guard needs on an SSH host.
var guardTools = []string{"setsid", "nohup", "sleep"}

// kindTools names, per fault kind, the commands its plans run on an SSH
// host (besides the shell's builtins and guardTools). A kind with
// alternatives (kill by unit or by pattern) lists every one it may use.
var kindTools = map[string][]string{
	"latency":     {"tc", "ip"},
	"loss":        {"tc", "ip"},
	"bandwidth":   {"tc", "ip"},
	"partition":   {"iptables"},
	"disk-fill":   {"stat", "fallocate"},
	"clock-drift": {"date"},
	"kill":        {"pgrep", "systemctl"},
	"pause":       {"pgrep", "systemctl"},
	"stop":        {"systemctl"},
	// Proxy-only kinds run nothing on an SSH host: they refuse it.
	"slicer":     {},
	"limit-data": {},
}

// checkMarker is printed first by the check script: seeing it proves the
// login worked and, for a user other than root, that sudo -n let the
// script run.
const checkMarker = "gameday-check: script runs"

// LoginCheck returns a targets.HostCheck that proves gameday can act on a
// host as it would when arming: it logs in over SSH with the inventory's
// settings (strict host keys, the identity file loaded), runs a script
// under `sudo -n` when the user is not root, and looks for the commands
// each fault kind needs there. Lab nodes and hosts behind a Toxiproxy
// proxy are checked as targets.CheckHost does. close releases the SSH connections once the check is over.
func LoginCheck(cfg sshx.Config) (check targets.HostCheck, close func() error) {
	var once sync.Once
	var pool *sshx.Pool
	check = func(ctx context.Context, inv *targets.Inventory, h targets.Host) targets.Readiness {
		if h.Lab != nil || h.Toxiproxy != nil {
			return targets.CheckHost(ctx, inv, h)
		}
		once.Do(func() { pool = sshx.New(inv, cfg) })
		return checkLogin(ctx, pool, inv, h)
	}
	close = func() error {
		if pool == nil {
			return nil
		}
		return pool.Close()
	}
	return check, close
}

// checkScript prints the marker, then "missing TOOL" for each tool not
// found as an executable (dash's command -v skips non-executable files,
// bash's does not: hence the -x).
func checkScript(tools []string) string {
	return "echo " + Quote(checkMarker) + "\n" +
		"for t in " + strings.Join(tools, " ") + "; do\n" +
		`  p=$(command -v "$t" 2>/dev/null) && [ -x "$p" ] || echo "missing $t"` + "\n" +
		"done\n"
}

// allTools lists every tool of every kind, and the guard's, once.
func allTools() []string {
	tools := slices.Clone(guardTools)
	for _, ts := range kindTools {
		tools = append(tools, ts...)
	}
	slices.Sort(tools)
	return slices.Compact(tools)
}

func checkLogin(ctx context.Context, pool *sshx.Pool, inv *targets.Inventory, h targets.Host) targets.Readiness {
	s := inv.SSHFor(h)
	row := targets.Readiness{Item: h.Name, Kind: "ssh login", Address: h.Address}
	if s.Port != 0 {
		row.Address = fmt.Sprintf("%s:%d", h.Address, s.Port)
	}
	as := "logged in"
	if s.User != "" {
		as += " as " + s.User
	}
	return targets.Timed(row, func() (string, error) {
		res, err := pool.Run(ctx, h, checkScript(allTools()))
		if err != nil {
			return "", fmt.Errorf("cannot log in: %s", strings.TrimPrefix(err.Error(), "host "+h.Name+": "))
		}
		if !strings.HasPrefix(res.Stdout, checkMarker) {
			why := oneLine(strings.TrimSpace(res.Stderr))
			if why == "" {
				why = fmt.Sprintf("exit status %d", res.Exit)
			}
			if s.User != "" && s.User != "root" {
				return "", fmt.Errorf("%s, but sudo -n refuses (%s); gameday runs every step under sudo -n when the user is not root: allow it passwordless sudo", as, why)
			}
			return "", fmt.Errorf("%s, but the check script did not run: %s", as, why)
		}
		var missing []string
		for _, line := range strings.Split(res.Stdout, "\n") {
			if t, ok := strings.CutPrefix(line, "missing "); ok {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("%s; missing %s", as, missingText(missing))
		}
		how := "as root"
		if s.User != "" && s.User != "root" {
			how = "under sudo -n"
		}
		return fmt.Sprintf("%s; runs scripts %s; has the tools of every fault kind", as, how), nil
	})
}

// missingText says which kinds each missing tool stops: "tc (latency,
// loss and bandwidth cannot run)".
func missingText(missing []string) string {
	var parts []string
	for _, t := range missing {
		var kinds []string
		for k, ts := range kindTools {
			if slices.Contains(ts, t) {
				kinds = append(kinds, k)
			}
		}
		if slices.Contains(guardTools, t) {
			kinds = []string{"every kind (the TTL guard needs it)"}
		}
		sort.Strings(kinds)
		parts = append(parts, fmt.Sprintf("%s (%s cannot run)", t, andList(kinds)))
	}
	return strings.Join(parts, ", ")
}

// andList joins "a", "a and b", "a, b and c".
func andList(s []string) string {
	switch len(s) {
	case 0:
		return "nothing"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
