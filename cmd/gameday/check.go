package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// CheckOptions are the inputs of `gameday check`.
type CheckOptions struct {
	IO        *IOStreams
	Inventory string
	Timeout   time.Duration
	JSON      bool
	// CheckHost overrides how hosts are reached (nil: an SSH login as
	// arming would do it, inject.LoginCheck).
	CheckHost targets.HostCheck
}

// NewCmdCheck builds `gameday check`.
func NewCmdCheck(io *IOStreams, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate an inventory, reach every service and host, print a readiness table",
		Long: `gameday check loads the inventory (every problem is reported as
file:line:col: field: message, exit status 2), then reaches every service
and host in parallel: each Redis Sentinel and the master it names, Kafka
metadata, a Cassandra session, each Prometheus server (every query is
evaluated once: one it rejects is reported at its line, exit status 2), one
request to each HTTP endpoint, each local command's program. Each host is
checked as arming a fault would use it: an SSH login with the inventory's
settings (host key checked against known_hosts, identity file loaded), a
script run under sudo -n when the user is not root, and the commands every
fault kind needs (tc, ip, iptables, fallocate, …); lab nodes: their process
and listen address. Exit status 0 when everything works, 1 otherwise. See
docs/inventory.md.`,
		Example: `  gameday check -i inventory.yaml
  gameday check -i inventory.yaml --timeout 5s --json`,
		Args: cobra.NoArgs,
		RunE: runE(opts, runF, checkRun),
	}
	addInventoryFlag(cmd, &opts.Inventory)
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 3*time.Second, "time allowed for each service and host")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object per line instead of a table")
	return cmd
}

// checkRow is the JSON form of one readiness row.
type checkRow struct {
	Item      string  `json:"item"`
	Kind      string  `json:"kind"`
	Address   string  `json:"address"`
	Status    string  `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
	Detail    string  `json:"detail,omitempty"`
}

func checkRun(opts *CheckOptions) error {
	inv, err := targets.Load(opts.Inventory)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	if opts.Timeout <= 0 {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--timeout must be positive, got %s", opts.Timeout)}
	}
	// go-redis logs failed dials to stderr on its own; the table already
	// says so on the row, in one line.
	redis.SetLogger(quietLogger{})
	checkHost := opts.CheckHost
	if checkHost == nil {
		var closeLogins func() error
		checkHost, closeLogins = inject.LoginCheck(sshx.Config{})
		defer closeLogins()
	}
	rows := targets.Reach(context.Background(), inv, targets.ReachOptions{Timeout: opts.Timeout, CheckHost: checkHost})
	failed := 0
	for _, r := range rows {
		if !r.OK {
			failed++
		}
	}
	if opts.JSON {
		err = writeCheckJSON(opts.IO, rows)
	} else {
		err = writeCheckTable(opts.IO, rows, failed)
	}
	if err != nil {
		return err
	}
	// A query the server rejects is a mistake in the file: bad input,
	// said at its line as the loader would.
	var bad targets.Problems
	for _, r := range rows {
		bad = append(bad, r.Problems...)
	}
	if len(bad) > 0 {
		return &ExitError{Code: ExitBadInput, Err: bad.Sorted()}
	}
	if failed > 0 {
		return &ExitError{Code: ExitFailed}
	}
	return nil
}

func status(r targets.Readiness) string {
	if r.OK {
		return "ok"
	}
	return "FAIL"
}

func writeCheckJSON(io *IOStreams, rows []targets.Readiness) error {
	enc := json.NewEncoder(io.Out)
	for _, r := range rows {
		row := checkRow{Item: r.Item, Kind: r.Kind, Address: r.Address, Status: status(r),
			LatencyMS: float64(r.Latency.Microseconds()) / 1000, Detail: r.Detail}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	return nil
}

func writeCheckTable(io *IOStreams, rows []targets.Readiness, failed int) error {
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tKIND\tADDRESS\tSTATUS\tLATENCY\tDETAIL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Item, r.Kind, r.Address, status(r),
			fmt.Sprintf("%.1fms", float64(r.Latency.Microseconds())/1000), oneLine(r.Detail))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if failed == 0 {
		fmt.Fprintf(io.Out, "all %d ready\n", len(rows))
	} else {
		fmt.Fprintf(io.Out, "%d of %d not ready\n", failed, len(rows))
	}
	return nil
}

// quietLogger drops go-redis's internal log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// oneLine keeps a multi-line driver error on its table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
