package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/session"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
)

// InjectOptions are the inputs of `gameday inject`.
type InjectOptions struct {
	IO        *IOStreams
	Kind      string
	Hosts     []string // names or selectors (tag:x, role:x), before expansion
	Params    []string // k=v
	TTL       time.Duration
	DryRun    bool
	IKnow     bool
	Inventory string
	Journal   string
	// AcceptNew trusts host keys not yet in known_hosts (and records
	// them); changed keys are still refused.
	AcceptNew bool
}

// NewCmdInject builds `gameday inject`. runF, when set, receives the parsed
// options instead of arming anything (tests).
func NewCmdInject(io *IOStreams, runF func(*InjectOptions) error) *cobra.Command {
	opts := &InjectOptions{IO: io}
	var kinds []string
	for _, k := range inject.Kinds() {
		kinds = append(kinds, k.Name)
	}
	cmd := &cobra.Command{
		Use:   "inject KIND --host H[,H…] [--param k=v …] -i inventory.yaml",
		Short: "Arm one fault on hosts of an inventory, with a ledger entry and a TTL guard",
		Long: `gameday inject arms one fault (` + strings.Join(kinds, ", ") + `) on the
given hosts. Before any command runs the fault is written to the ledger; every
host gets a guard that reverts the fault when its TTL runs out, even if gameday
dies or loses the host. A fault that takes down a majority of a service's nodes
is refused unless --i-know. See docs/faults.md for each kind's params.`,
		Example: `  gameday inject partition --host db1 --param direction=in --ttl 5m -i inventory.yaml
  gameday inject latency --host role:broker --param delay=200ms --dry-run -i inventory.yaml
  gameday inject kill --host redis-1 -i ~/.local/state/gameday/lab/inventory.yaml`,
		ValidArgs: kinds,
		Args:      exactlyOne("inject", "fault KIND ("+strings.Join(kinds, ", ")+")"),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Kind = args[0]
			if len(opts.Hosts) == 0 {
				return &ExitError{Code: ExitBadInput, Err: errors.New("--host is required: name the hosts (or tag:x, role:x) to arm the fault on")}
			}
			if opts.Inventory == "" {
				return &ExitError{Code: ExitBadInput, Err: errors.New("-i inventory.yaml is required: it says what the hosts are")}
			}
			if runF != nil {
				return runF(opts)
			}
			return injectRun(opts)
		},
	}
	cmd.Flags().StringSliceVarP(&opts.Hosts, "host", "H", nil, "hosts to fault: names, tag:NAME or role:NAME (comma-separated or repeated)")
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "a parameter of the kind as key=value (repeatable)")
	cmd.Flags().DurationVar(&opts.TTL, "ttl", inject.DefaultTTL, "time to live: the hosts' guards revert the fault after it (at most 24h)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the exact plan for every host and change nothing")
	cmd.Flags().BoolVar(&opts.IKnow, "i-know", false, "confirm a fault that takes down a majority of a service's nodes")
	cmd.Flags().StringVarP(&opts.Inventory, "inventory", "i", "", "inventory.yaml describing the hosts")
	cmd.Flags().StringVar(&opts.Journal, "journal", "", "append the fault's timeline events to this journal (.jsonl) instead of the CLI session journal in the state directory")
	cmd.Flags().BoolVar(&opts.AcceptNew, acceptNewFlag, false, acceptNewHelp)
	return cmd
}

// acceptNewFlag is the operator's explicit consent to new host keys, on
// the commands that connect to hosts.
const (
	acceptNewFlag = "accept-new-host-keys"
	acceptNewHelp = "trust SSH host keys not yet in known_hosts and append them to it (changed keys are still refused)"
)

// parseParams turns k=v flags into a map, refusing a flag without "=".
func parseParams(kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--param %q: want key=value", kv)
		}
		m[strings.TrimSpace(k)] = v
	}
	return m, nil
}

// managerSetup says how a command opens its Manager.
type managerSetup struct {
	Inventory string // optional for revert and faults
	Journal   string // --journal: append events there
	// Record, without Journal, records events in the CLI session journal
	// of the state directory and prints its path on IO.ErrOut: every
	// action is on a timeline.
	Record    bool
	AcceptNew bool
	IO        *IOStreams
	// LiveRoles gives the Manager the inventory with the Redis roles the
	// Sentinels give now (targets/roles), for selectors and the blast
	// radius; openManager's Live reports what could not be resolved.
	LiveRoles bool
}

// openManager loads the inventory and returns a Manager recording onto the
// journal the setup asks for.
func openManager(s managerSetup) (*inject.Manager, roles.Live, func(), error) {
	inv := &targets.Inventory{}
	if s.Inventory != "" {
		var err error
		if inv, err = targets.Load(s.Inventory); err != nil {
			return nil, roles.Live{}, nil, &ExitError{Code: ExitBadInput, Err: err}
		}
	}
	live := roles.Live{Inv: inv}
	if s.LiveRoles {
		// Roles are facts of the moment: after a failover the inventory's
		// master is a replica.
		live = roles.New(inv).Resolve(context.Background())
		inv = live.Inv
	}
	var sess *session.Session
	if s.Journal != "" || s.Record {
		cfg := session.Config{
			Source: session.CLISource, Title: "Game day (gameday inject/revert)",
			Journal: s.Journal, Resume: session.CLIResume,
		}
		if s.Inventory != "" {
			cfg.Inventory, cfg.Services = inventoryName(inv), probes.Membership(inv)
		}
		if s.Journal == "" {
			// Dry runs and bad input leave no session behind.
			cfg.Deferred, cfg.Opened = true, session.NoteOpened(s.IO.ErrOut)
		}
		var err error
		if sess, err = session.Open(cfg); err != nil {
			return nil, roles.Live{}, nil, &ExitError{Code: ExitBadInput, Err: err}
		}
	}
	var rec *timeline.Recorder
	closeRec := func() {}
	if sess != nil {
		rec = sess.Recorder()
		closeRec = func() {
			if err := sess.Close(""); err != nil {
				fmt.Fprintf(s.IO.ErrOut, "gameday: timeline journal: %v\n", err)
			}
		}
	}
	m, err := inject.NewManager(inv, rec, "", inject.WithSSHConfig(sshx.Config{AcceptNew: s.AcceptNew}))
	if err != nil {
		closeRec()
		return nil, roles.Live{}, nil, err
	}
	closeAll := func() {
		m.Close()
		closeRec()
	}
	return m, live, closeAll, nil
}

// planFailure is the exit status of a plan that failed: bad input when
// a host's answer shows the inventory wrong (a Toxiproxy proxy its server
// does not have: the error says file:line:col), a failure otherwise (a
// host that does not answer).
func planFailure(err error) int {
	var bad yamldoc.Problem
	if errors.As(err, &bad) {
		return ExitBadInput
	}
	return ExitFailed
}

// interruptible returns a context cancelled by SIGINT or SIGTERM: the
// Manager then rolls back what it armed.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func injectRun(opts *InjectOptions) error {
	params, err := parseParams(opts.Params)
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	m, live, closeAll, err := openManager(managerSetup{Inventory: opts.Inventory, Journal: opts.Journal,
		Record: !opts.DryRun, AcceptNew: opts.AcceptNew, IO: opts.IO, LiveRoles: true})
	if err != nil {
		return err
	}
	defer closeAll()
	hosts, err := live.Select(strings.Join(opts.Hosts, ","))
	if err != nil {
		return &ExitError{Code: ExitBadInput, Err: fmt.Errorf("--host: %w", err)}
	}
	for _, svc := range live.Inv.Services.Redis {
		if err := live.Unknown[svc.Name]; err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "gameday: no host counts as master or replica of redis/%s now: %v\n", svc.Name, err)
		}
	}
	req := inject.Request{Kind: opts.Kind, Params: params, TTL: opts.TTL, IKnow: opts.IKnow}
	for _, h := range hosts {
		req.Hosts = append(req.Hosts, h.Name)
	}
	ctx, cancel := interruptible()
	defer cancel()
	if err := m.Validate(req); err != nil {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	if opts.DryRun {
		// Planning may ask a host (a partition from everyone learns
		// gameday's own connection): a host that does not answer is a
		// failure, not bad input.
		p, err := m.Preview(ctx, req)
		if err != nil {
			return &ExitError{Code: planFailure(err), Err: err}
		}
		return inject.WritePlan(opts.IO.Out, p)
	}
	a, err := m.Arm(ctx, req)
	if errors.Is(err, inject.ErrNeedsConfirm) {
		return &ExitError{Code: ExitBadInput, Err: err}
	}
	if a.ID != "" {
		writeHosts(opts.IO, a)
	}
	if err != nil && a.ID == "" {
		// Nothing was written or touched: planning failed.
		if planFailure(err) == ExitBadInput {
			return &ExitError{Code: ExitBadInput, Err: err}
		}
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("arming %s failed, nothing was changed: %w", opts.Kind, err)}
	}
	if err != nil {
		return &ExitError{Code: ExitFailed, Err: fmt.Errorf("arming %s failed (fault %s): %w", opts.Kind, a.ID, err)}
	}
	fmt.Fprintf(opts.IO.Out, "armed %s: %s on %s; the guards revert it at %s (in %s)\nrevert it with: gameday revert %s\n",
		a.ID, a.Request.Kind, strings.Join(a.Request.Hosts, ", "), a.Deadline.Local().Format("15:04:05"), a.Request.TTL, a.ID)
	return nil
}

// writeHosts prints each host's status of a fault, one line per host.
func writeHosts(io *IOStreams, a inject.Armed) {
	names := make([]string, 0, len(a.PerHost))
	for h := range a.PerHost {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		fmt.Fprintf(io.Out, "  %s: %s\n", h, a.PerHost[h])
	}
}
