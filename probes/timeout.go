package probes

import (
	"context"
	"errors"
	"net"
	"os"
)

// isTimeout reports whether err is a deadline of ours or of the network.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
