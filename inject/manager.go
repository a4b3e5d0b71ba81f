package inject

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/internal/yamldoc"
	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/roles"
	"github.com/gameday-dev/gameday/timeline"
)

// DefaultHostTimeout bounds one host's part of an arm or a revert.
const DefaultHostTimeout = 60 * time.Second

// Manager arms and reverts faults for one inventory, writing the ledger
// before any command runs and recording every action on the Recorder.
type Manager struct {
	inv         *targets.Inventory
	rec         *timeline.Recorder
	ledger      *Ledger
	hostTimeout time.Duration
	sshCfg      sshx.Config // for the default SSH pool
	session     Session
	env         execEnv
	roles       func(ctx context.Context) roles.Live // nil: the inventory's roles

	rmu    sync.Mutex // guards runner's lazy creation
	runner Runner

	mu    sync.Mutex // guards execs and planned
	execs map[string]Executor
	// planned holds the fault IDs ArmPlan took: a previewed plan arms
	// once.
	planned map[string]bool
}

// Option configures a Manager.
type Option func(*Manager)

// WithRunner makes the Manager run SSH hosts' scripts through r (instead
// of the default SSH pool). The Manager closes it on Close.
func WithRunner(r Runner) Option { return func(m *Manager) { m.runner = r } }

// WithSSHConfig configures the default SSH pool (for instance AcceptNew,
// the operator's explicit consent to new host keys). It has no effect with
// WithRunner.
func WithSSHConfig(c sshx.Config) Option { return func(m *Manager) { m.sshCfg = c } }

// WithRoles makes every Preview and Arm take the Redis roles from resolve
// (roles.New(inv).Resolve) at that moment, for role selectors and the
// blast radius: after a failover the inventory's master is a replica, and
// a confirmation must name the node the Sentinels promoted.
func WithRoles(resolve func(ctx context.Context) roles.Live) Option {
	return func(m *Manager) { m.roles = resolve }
}

// WithHostTimeout bounds each host's part of an arm or a revert.
func WithHostTimeout(d time.Duration) Option { return func(m *Manager) { m.hostTimeout = d } }

// NewManager returns a Manager for inv that records onto rec (nil: record
// nothing) and keeps its ledger at ledgerPath ("" for ledger.jsonl in the
// state directory).
func NewManager(inv *targets.Inventory, rec *timeline.Recorder, ledgerPath string, opts ...Option) (*Manager, error) {
	if inv == nil {
		inv = &targets.Inventory{}
	}
	if ledgerPath == "" {
		dir, err := timeline.StateDir()
		if err != nil {
			return nil, err
		}
		ledgerPath = filepath.Join(dir, "ledger.jsonl")
	}
	l, err := OpenLedger(ledgerPath)
	if err != nil {
		return nil, err
	}
	m := &Manager{inv: inv, rec: rec, ledger: l, hostTimeout: DefaultHostTimeout, session: CurrentSession(), execs: map[string]Executor{}, planned: map[string]bool{}}
	for _, o := range opts {
		o(m)
	}
	m.env = execEnv{inv: inv, runner: m.hostRunner}
	return m, nil
}

// Ledger returns the Manager's ledger.
func (m *Manager) Ledger() *Ledger { return m.ledger }

// Close releases pooled connections. It does not revert anything.
func (m *Manager) Close() error {
	m.rmu.Lock()
	defer m.rmu.Unlock()
	if m.runner != nil {
		return m.runner.Close()
	}
	return nil
}

// hostRunner returns the Runner for SSH hosts, making the SSH pool on
// first use: a revert from the ledger alone may meet hosts the inventory
// does not list.
func (m *Manager) hostRunner() Runner {
	m.rmu.Lock()
	defer m.rmu.Unlock()
	if m.runner == nil {
		m.runner = defaultRunner(m.inv, m.sshCfg)
	}
	return m.runner
}

// newID returns a fault ID: 8 hex digits, short enough to type and to fit in
// an iptables chain name.
func newID() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// hostPlan is one host's plan and the executor that runs it.
type hostPlan struct {
	host  targets.Host
	def   executorDef
	exec  Executor
	steps Steps
	guard Guard
	// guardStart and guardCancel are the executor's guard steps.
	guardStart, guardCancel Step
}

// plan is a validated request with a plan for every host.
type plan struct {
	id       string
	fault    Fault
	ttl      time.Duration
	hosts    []hostPlan
	verdict  string
	majority bool
}

// plan validates req and plans it on every host it names, changing nothing.
// With refuse, a majority blast radius without IKnow is refused before any
// host is asked anything.
func (m *Manager) plan(ctx context.Context, req Request, id string, refuse bool) (*plan, error) {
	// Redis roles are the Sentinels' of this moment when the Manager has
	// a resolver.
	live := roles.Live{Inv: m.inv}
	if m.roles != nil {
		live = m.roles(ctx)
	}
	f, ttl, hosts, err := resolve(req, live)
	if err != nil {
		return nil, err
	}
	p := &plan{id: id, fault: f, ttl: ttl}
	var names []string
	for _, h := range hosts {
		names = append(names, h.Name)
	}
	p.verdict, p.majority = blastRadius(live.Inv, f, names)
	p.verdict += rolesUnknown(live, names)
	if refuse && p.majority && !req.IKnow {
		return nil, &blastError{verdict: p.verdict}
	}
	// Planning may ask each host something (the SSH executor, for a
	// partition that spares gameday's path): all hosts at once.
	p.hosts = make([]hostPlan, len(hosts))
	errs := fanOut(ctx, m.hostTimeout, hosts, func(ctx context.Context, i int, h targets.Host) (err error) {
		p.hosts[i], err = m.planHost(ctx, f, PlanTarget{ID: id, Host: h, Inv: live.Inv, TTL: ttl})
		var bad yamldoc.Problem
		if err != nil && !strings.HasPrefix(err.Error(), "host "+h.Name+": ") && !errors.As(err, &bad) {
			// (A problem of the inventory's says where it is instead.)
			err = fmt.Errorf("host %s: %w", h.Name, err)
		}
		return err
	})
	if err := JoinErrors(errs); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve parses req: its kind and parameters, its TTL, its hosts (role
// selectors by the roles of live).
func resolve(req Request, live roles.Live) (Fault, time.Duration, []targets.Host, error) {
	f, err := ParseFault(req.Kind, req.Params)
	if err != nil {
		return nil, 0, nil, err
	}
	ttl, err := effectiveTTL(req.TTL)
	if err != nil {
		return nil, 0, nil, err
	}
	if len(req.Hosts) == 0 {
		return nil, 0, nil, errors.New("no hosts given: name at least one inventory host")
	}
	// Hosts may be names or selectors (tag:x, role:x); Select names the
	// part that matches nothing, with a did-you-mean.
	hosts, err := live.Select(strings.Join(req.Hosts, ","))
	if err != nil {
		return nil, 0, nil, err
	}
	return f, ttl, hosts, nil
}

// Validate says what is wrong with req itself — kind, parameters, TTL,
// hosts — in one sentence, asking no host anything: what an operator must
// fix, as opposed to a host that does not answer. Roles are the
// inventory's: it asks no Sentinel either.
func (m *Manager) Validate(req Request) error {
	_, _, _, err := resolve(req, roles.Live{Inv: m.inv})
	return err
}

// planHost picks t.Host's executor and plans f with it.
func (m *Manager) planHost(ctx context.Context, f Fault, t PlanTarget) (hostPlan, error) {
	d, err := executorFor(t.Host)
	if err != nil {
		return hostPlan{}, err
	}
	x, err := m.executor(d, nil)
	if err != nil {
		return hostPlan{}, err
	}
	steps, err := x.Plan(ctx, f, t)
	if err != nil {
		return hostPlan{}, err
	}
	hp := hostPlan{host: t.Host, def: d, exec: x, steps: steps,
		guard: Guard{Fault: t.ID, Host: t.Host.Name, TTL: t.TTL, Revert: steps.Revert, VerifyGone: steps.VerifyGone}}
	hp.guardStart, hp.guardCancel = x.Guard(hp.guard)
	return hp, nil
}

// Preview validates req and returns the exact plan per host and the blast
// radius, changing nothing. ArmPlan arms it as shown; Arm plans again
// under a new fault ID.
func (m *Manager) Preview(ctx context.Context, req Request) (Preview, error) {
	p, err := m.plan(ctx, req, newID(), false)
	if err != nil {
		return Preview{}, err
	}
	return p.preview(req), nil
}

// preview is what p shows for req.
func (p *plan) preview(req Request) Preview {
	pv := Preview{ID: p.id, Request: req, Asked: slices.Clone(req.Hosts), BlastRadius: p.verdict, Majority: p.majority, Digest: p.digest()}
	pv.Request.TTL = p.ttl
	pv.Request.Hosts = nil
	for _, hp := range p.hosts {
		pv.Request.Hosts = append(pv.Request.Hosts, hp.host.Name)
		pv.Hosts = append(pv.Hosts, hp.preview())
	}
	return pv
}

// digest sums up what p would run and where: every host as the inventory
// describes it, its executor and where that reaches, every step, the
// guard's, the TTL and the verdict.
func (p *plan) digest() string {
	type hostSum struct {
		Host                    targets.Host
		Executor                string
		Via                     map[string]string
		Steps                   Steps
		GuardStart, GuardCancel Step
	}
	sum := struct {
		ID, Kind, Verdict string
		TTL               time.Duration
		Hosts             []hostSum
	}{ID: p.id, Kind: p.fault.Kind(), Verdict: p.verdict, TTL: p.ttl}
	for _, hp := range p.hosts {
		sum.Hosts = append(sum.Hosts, hostSum{hp.host, hp.def.name, hp.exec.Via(), hp.steps, hp.guardStart, hp.guardCancel})
	}
	b, err := json.Marshal(sum)
	if err != nil {
		panic(err) // plain data only
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (hp hostPlan) preview() HostPlan {
	render := func(steps ...Step) []string {
		var s []string
		for _, st := range steps {
			// Shown, never run: a secret in a parameter stays out of sight.
			s = append(s, timeline.ScrubText(st.String()))
		}
		return s
	}
	sp := hp.steps
	return HostPlan{Host: hp.host.Name, Executor: hp.def.name, Reach: hp.def.reach,
		Detect: render(sp.Detect...), Guard: render(hp.guardStart),
		Inject: render(sp.Inject...), Verify: render(sp.Verify...),
		Revert: render(append(append([]Step{}, sp.Revert...), hp.guardCancel)...), VerifyGone: render(sp.VerifyGone...)}
}

func (m *Manager) event(k timeline.Kind, r *Record, format string, args ...any) {
	if m.rec == nil {
		return
	}
	e := timeline.NewEvent(k, "inject", format, args...).WithData(&timeline.FaultData{
		FaultID: r.ID, Kind: r.Kind, Hosts: r.Hosts, Params: r.Params,
		TTL: timeline.Duration(r.TTL), Session: r.Session.String(), Error: r.Error, Injected: r.Injected,
	})
	// Who caused this event: whoever reverted, once someone did, else who
	// armed it.
	e.By = cmp.Or(r.RevertedBy, r.By)
	m.rec.Record(e)
}

func (r *Record) armed() Armed {
	a := Armed{ID: r.ID, Request: Request{Kind: r.Kind, Hosts: r.Hosts, Params: r.Params, TTL: r.TTL, IKnow: r.IKnow, By: r.By}, RevertedBy: r.RevertedBy,
		State: r.State, ArmedAt: r.ArmedAt, Deadline: r.Deadline, Session: r.Session.String(),
		PerHost: map[string]string{}, Liveness: r.Session.Liveness(), Error: r.Error, Active: r.Active()}
	for h, e := range r.PerHost {
		a.PerHost[h] = e.Status
	}
	return a
}
