package inject

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/gameday-dev/gameday/targets"
)

// runStep runs one shell step on h and turns a non-zero exit into one
// sentence: the step's Fail sentence, or its name with stderr's first line.
func (m *Manager) runStep(ctx context.Context, h targets.Host, s Step) error {
	res, err := m.hostRunner().Run(ctx, h, s.Script)
	if err != nil {
		return fmt.Errorf("host %s: %s: %w", h.Name, s.Name, err)
	}
	if res.Exit == 0 {
		return nil
	}
	reason := firstLine(res.Stderr)
	if reason == "" {
		reason = firstLine(res.Stdout)
	}
	if s.Fail != "" {
		return fmt.Errorf("host %s: %s", h.Name, strings.Replace(s.Fail, "%s", trimTCError(reason), 1))
	}
	if reason == "" {
		reason = fmt.Sprintf("exit status %d", res.Exit)
	}
	return fmt.Errorf("host %s: %s: %s", h.Name, s.Name, reason)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return oneLine(s)
}

// hostRunner returns the Runner for SSH hosts, making the SSH pool on
// first use: a revert from the ledger alone may meet hosts the inventory
// does not list.
func (m *Manager) hostRunner() Runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runner == nil {
		m.runner = defaultRunner(m.inv, m.sshCfg)
	}
	return m.runner
}

// labFor returns the controller for a ledger entry's lab node: this
// inventory's lab, or the one recorded when the fault was armed.
func (m *Manager) labFor(e *HostEntry) LabController {
	if m.lab != nil || e.LabControl == "" {
		return m.lab
	}
	return NewLabController(e.LabControl, e.LabDir)
}

// runLab runs lab steps: local scripts here, the rest through the lab.
func (m *Manager) runLab(ctx context.Context, h targets.Host, keepGoing bool, steps []LabStep) error {
	return m.runLabWith(ctx, m.lab, h, keepGoing, steps)
}

func (m *Manager) runLabWith(ctx context.Context, lc LabController, h targets.Host, keepGoing bool, steps []LabStep) error {
	var firstErr error
	keep := func(err error) bool {
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return err == nil || keepGoing
	}
	var batch []LabStep
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		var err error
		if lc == nil {
			err = errNoLab
		} else {
			err = lc.Do(ctx, keepGoing, batch...)
		}
		batch = nil
		if err != nil {
			err = fmt.Errorf("host %s: %w", h.Name, err)
		}
		return keep(err)
	}
	for _, s := range steps {
		if s.Op != LabShell {
			batch = append(batch, s)
			continue
		}
		if !flush() {
			return firstErr
		}
		res, err := m.local.Run(ctx, h, s.Script)
		if err == nil && res.Exit != 0 {
			err = fmt.Errorf("%s", firstLine(res.Stderr+"\n"+res.Stdout))
		}
		if err != nil {
			err = fmt.Errorf("host %s: %w", h.Name, err)
		}
		if !keep(err) {
			return firstErr
		}
	}
	flush()
	return firstErr
}

// fanOut runs fn for every host plan in parallel, each under its own
// timeout, and returns the errors by index.
func (m *Manager) fanOut(ctx context.Context, hosts []hostPlan, fn func(ctx context.Context, i int, hp hostPlan) error) []error {
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, hp := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(ctx, m.hostTimeout)
			defer cancel()
			errs[i] = fn(hctx, i, hp)
		}()
	}
	wg.Wait()
	return errs
}

// joinErrs renders per-host failures as one sentence.
func joinErrs(errs []error) error {
	var parts []string
	for _, e := range errs {
		if e != nil {
			parts = append(parts, e.Error())
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}
