package inject

import (
	"context"

	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// sshRunner adapts the SSH pool to Runner.
type sshRunner struct{ pool *sshx.Pool }

func defaultRunner(inv *targets.Inventory, cfg sshx.Config) Runner {
	return sshRunner{pool: sshx.New(inv, cfg)}
}

// Run runs script on h over the pooled SSH connection.
func (s sshRunner) Run(ctx context.Context, h targets.Host, script string) (Result, error) {
	r, err := s.pool.Run(ctx, h, script)
	return Result{Stdout: r.Stdout, Stderr: r.Stderr, Exit: r.Exit}, err
}

// Close closes the pooled connections.
func (s sshRunner) Close() error { return s.pool.Close() }
