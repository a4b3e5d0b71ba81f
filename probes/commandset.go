package probes

import (
	"fmt"
	"regexp"
	"time"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// Command probes run every 5 s by default, each run bounded by 2 s.
const (
	commandInterval = 5 * time.Second
	commandTimeout  = 2 * time.Second
)

// addCommand adds command.run for one command, run locally or, when the
// inventory names a host, on it through pool (made on first use).
func (s *Set) addCommand(inv *targets.Inventory, svc targets.Command, opts Options, add func(Probe, Config)) error {
	cfg, ok, err := resolve(svc.Name, "run", svc.Probes["run"], Config{Interval: commandInterval, Timeout: commandTimeout}, []string{"errors == 0"}, opts)
	if err != nil || !ok {
		return err
	}
	if err := onlyMetrics(cfg, "value", "errors", "success"); err != nil {
		return fmt.Errorf("service %s, probe run: %w", svc.Name, err)
	}
	cfg.Interval = max(cfg.Interval, minCommandInterval)
	if len(svc.Command) == 0 {
		return fmt.Errorf("service %s: no command", svc.Name)
	}
	p := &commandProbe{svc: svc, cfg: cfg}
	if svc.Value != "" {
		if p.value, err = regexp.Compile(svc.Value); err != nil {
			return fmt.Errorf("service %s, value: %w", svc.Name, err)
		}
	}
	if svc.Host == "" {
		p.run = localRun(svc.Command)
	} else {
		h, ok := inv.Host(svc.Host)
		if !ok {
			return fmt.Errorf("service %s: no host named %q in the inventory", svc.Name, svc.Host)
		}
		p.run = remoteRun(s.sshPool(inv, opts), h, svc.Command)
	}
	add(p, cfg)
	return nil
}

// sshPool is the SSH pool command probes run through: opts.SSH when the
// caller shares one (the fault manager's), else one of the Set's own,
// closed when Run returns.
func (s *Set) sshPool(inv *targets.Inventory, opts Options) *sshx.Pool {
	if opts.SSH != nil {
		return opts.SSH
	}
	if s.ownPool == nil {
		s.ownPool = sshx.New(inv, sshx.Config{})
	}
	return s.ownPool
}
