package inject

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
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
	runner      Runner
	lab         LabController
	local       Runner
	hostTimeout time.Duration
	sshCfg      sshx.Config // for the default SSH pool
	session     Session
	mu          sync.Mutex // guards runner's lazy creation
}

// Option configures a Manager.
type Option func(*Manager)

// WithRunner makes the Manager run host plans through r (instead of the
// default SSH pool). The Manager closes it on Close.
func WithRunner(r Runner) Option { return func(m *Manager) { m.runner = r } }

// WithLab makes the Manager drive lab nodes through c.
func WithLab(c LabController) Option { return func(m *Manager) { m.lab = c } }

// WithLocalRunner sets what runs the local scripts of lab plans (disk-fill
// on a lab node's data dir); the default is LocalRunner{}.
func WithLocalRunner(r Runner) Option { return func(m *Manager) { m.local = r } }

// WithSSHConfig configures the default SSH pool (for instance AcceptNew,
// the operator's explicit consent to new host keys). It has no effect with
// WithRunner.
func WithSSHConfig(c sshx.Config) Option { return func(m *Manager) { m.sshCfg = c } }

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
	m := &Manager{inv: inv, rec: rec, ledger: l, local: LocalRunner{}, hostTimeout: DefaultHostTimeout, session: CurrentSession()}
	for _, o := range opts {
		o(m)
	}
	if m.lab == nil && inv.Lab != nil && inv.Lab.Control != "" {
		m.lab = defaultLab(inv)
	}
	return m, nil
}

// Ledger returns the Manager's ledger.
func (m *Manager) Ledger() *Ledger { return m.ledger }

// Close releases pooled connections. It does not revert anything.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runner != nil {
		return m.runner.Close()
	}
	return nil
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

// hostPlan is one host's plan, either shell (SSH) or lab.
type hostPlan struct {
	host  targets.Host
	shell *ShellPlan
	lab   *LabPlan
	guard string // guard id
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

func (m *Manager) plan(req Request, id string) (*plan, error) {
	f, err := ParseFault(req.Kind, req.Params)
	if err != nil {
		return nil, err
	}
	ttl, err := effectiveTTL(req.TTL)
	if err != nil {
		return nil, err
	}
	if len(req.Hosts) == 0 {
		return nil, errors.New("no hosts given: name at least one inventory host")
	}
	p := &plan{id: id, fault: f, ttl: ttl}
	// Hosts may be names or selectors (tag:x, role:x); Select names the
	// part that matches nothing, with a did-you-mean.
	hosts, err := m.inv.Select(strings.Join(req.Hosts, ","))
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		t := PlanTarget{ID: id, Host: h, Inv: m.inv, TTL: ttl}
		hp := hostPlan{host: h, guard: id}
		if h.Lab != nil {
			lp, err := f.LabPlan(t)
			if err != nil {
				return nil, fmt.Errorf("host %s: %w", h.Name, err)
			}
			hp.lab, hp.guard = &lp, id+"-"+h.Name
		} else {
			sp, err := f.ShellPlan(t)
			if err != nil {
				return nil, fmt.Errorf("host %s: %w", h.Name, err)
			}
			hp.shell = &sp
		}
		p.hosts = append(p.hosts, hp)
	}
	var names []string
	for _, h := range p.hosts {
		names = append(names, h.host.Name)
	}
	p.verdict, p.majority = blastRadius(m.inv, f, names)
	return p, nil
}

// Preview validates req and returns the exact plan per host and the blast
// radius, changing nothing. The plan shows a fresh fault ID; arming uses
// another.
func (m *Manager) Preview(ctx context.Context, req Request) (Preview, error) {
	p, err := m.plan(req, newID())
	if err != nil {
		return Preview{}, err
	}
	pv := Preview{Request: req, BlastRadius: p.verdict, Majority: p.majority}
	pv.Request.TTL = p.ttl
	pv.Request.Hosts = nil
	for _, hp := range p.hosts {
		pv.Request.Hosts = append(pv.Request.Hosts, hp.host.Name)
	}
	for _, hp := range p.hosts {
		pv.Hosts = append(pv.Hosts, hp.preview(p))
	}
	return pv, nil
}

func (hp hostPlan) preview(p *plan) HostPlan {
	out := HostPlan{Host: hp.host.Name, Lab: hp.lab != nil}
	render := func(steps []Step) []string {
		var s []string
		for _, st := range steps {
			// Shown, never run: a secret in a parameter stays out of sight.
			s = append(s, timeline.ScrubText("# "+st.Name+"\n"+st.Script))
		}
		return s
	}
	renderLab := func(steps []LabStep) []string {
		var s []string
		for _, st := range steps {
			s = append(s, timeline.ScrubText(st.String()))
		}
		return s
	}
	if hp.shell != nil {
		sp := hp.shell
		out.Detect = render(sp.Detect)
		out.Guard = render([]Step{guardStartStep(p.id, p.ttl, sp.Revert)})
		out.Inject, out.Verify = render(sp.Inject), render(sp.Verify)
		out.Revert = render(append(append([]Step{}, sp.Revert...), guardCancelStep(p.id)))
		out.VerifyGone = render(sp.VerifyGone)
		return out
	}
	out.Guard = []string{fmt.Sprintf("lab guard %s: after %s run %v", hp.guard, p.ttl, renderLab(labGuardSteps(hp.lab.Revert)))}
	out.Inject = renderLab(hp.lab.Inject)
	out.Revert = append(renderLab(hp.lab.Revert), "lab guard "+hp.guard+": cancel")
	return out
}

func (m *Manager) event(k timeline.Kind, r *Record, format string, args ...any) {
	if m.rec == nil {
		return
	}
	m.rec.Record(timeline.NewEvent(k, "inject", format, args...).WithData(&timeline.FaultData{
		FaultID: r.ID, Kind: r.Kind, Hosts: r.Hosts, Params: r.Params,
		TTL: timeline.Duration(r.TTL), Session: r.Session.String(), Error: r.Error,
	}))
}

func (r *Record) armed() Armed {
	a := Armed{ID: r.ID, Request: Request{Kind: r.Kind, Hosts: r.Hosts, Params: r.Params, TTL: r.TTL, IKnow: r.IKnow},
		State: r.State, ArmedAt: r.ArmedAt, Deadline: r.Deadline, Session: r.Session.String(),
		PerHost: map[string]string{}, Liveness: r.Session.Liveness(), Error: r.Error}
	for h, e := range r.PerHost {
		a.PerHost[h] = e.Status
	}
	return a
}
