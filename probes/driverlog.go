package probes

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/redis/go-redis/v9"
)

// redisLogger sends go-redis's own log lines (failover chatter) to a
// writer instead of stderr, where they would tear through the TUI.
type redisLogger struct{ w io.Writer }

// Printf implements go-redis's logger.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	fmt.Fprintf(l.w, "redis: "+format+"\n", v...)
}

var driverLogOnce sync.Once

// routeDriverLogs points the drivers' process-wide loggers at w (discarded
// when nil). go-redis has only a global logger, so the first Set decides.
func routeDriverLogs(w io.Writer) {
	driverLogOnce.Do(func() {
		if w == nil {
			w = io.Discard
		}
		redis.SetLogger(redisLogger{w})
	})
}
