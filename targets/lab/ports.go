package lab

import (
	"fmt"
	"net"
)

// freePorts returns n distinct free loopback ports. All listeners stay open
// until every port is chosen so the kernel cannot hand out one port twice.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// pickPorts chooses the Redis and Sentinel ports; tests replace it to
// provoke a port clash.
var pickPorts = freePorts
