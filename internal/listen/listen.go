// Package listen opens the TCP listeners of gameday's servers (the war
// room's SSH, the /metrics endpoint) before anything is recorded, with
// errors a user reads as one sentence: a malformed address, a port in
// use.
package listen

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ErrInUse is wrapped by TCP's error when the address is taken.
var ErrInUse = errors.New("address already in use")

// TCP listens on addr (HOST:PORT or :PORT; port 0 picks a free one).
// holders names who may have a port that is in use ("another gameday
// serve, or another program,"), for the error.
func TCP(addr, holders string) (net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || (n == 0 && port != "0") {
		return nil, fmt.Errorf("%q is not an address to listen on: give HOST:PORT or :PORT, such as 127.0.0.1:9464", addr)
	}
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("cannot listen on %s: %w (%s has it)", addr, ErrInUse, holders)
	case err != nil:
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err // "listen tcp 1.2.3.4:5: bind: …" says the address twice
		}
		return nil, fmt.Errorf("cannot listen on %s: %v", addr, err)
	}
	return ln, nil
}
