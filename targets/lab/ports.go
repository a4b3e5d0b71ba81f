package lab

import (
	"fmt"
	"net"
)

// freePorts returns one free port on each of the given loopback addresses.
// All listeners stay open until every port is chosen so the kernel cannot
// hand out one port twice. The ports are released before the nodes bind
// them, so another process could take one in between; Start retries then.
func freePorts(ips []string) ([]int, error) {
	ls := make([]net.Listener, 0, len(ips))
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, len(ips))
	for _, ip := range ips {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port on %s: %w", ip, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// pickPorts chooses the Redis and Sentinel ports; tests replace it to
// provoke a port clash.
var pickPorts = freePorts
