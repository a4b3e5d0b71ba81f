package targets

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kevinburke/ssh_config"
)

// CheckHost is the default HostCheck. A lab node passes when the lab
// reports it running (whatever its pid is now) and its listen address
// accepts TCP. A real host passes when its
// SSH port answers with an SSH-2.0 banner (logging in is the SSH
// executor's job); a host behind a jump host is judged by the jump host's
// banner, since it cannot be dialled directly.
func CheckHost(ctx context.Context, inv *Inventory, h Host) Readiness {
	if h.Lab != nil {
		return checkLabHost(ctx, inv, h)
	}
	if h.Toxiproxy != nil {
		return CheckToxiproxyHost(ctx, inv, h)
	}
	s := inv.SSHFor(h)
	if s.Jump != "" {
		addr, err := jumpAddr(inv, s.Jump)
		row := Readiness{Item: h.Name, Kind: "ssh via " + s.Jump, Address: addr}
		if err != nil {
			row.Detail = err.Error()
			return row
		}
		return Timed(row, func() (string, error) {
			banner, err := sshBanner(ctx, addr)
			if err != nil {
				return "", fmt.Errorf("jump host: %w", err)
			}
			return "jump host answers " + banner + "; login through it not checked", nil
		})
	}
	addr := sshAddr(h.Address, s.Port)
	return Timed(Readiness{Item: h.Name, Kind: "ssh", Address: addr}, func() (string, error) {
		return sshBanner(ctx, addr)
	})
}

// sshAddr is where ssh would connect: ssh_config's HostName and Port apply
// when the inventory leaves them open (the address is ssh's alias, as for
// the SSH executor).
func sshAddr(address string, port int) string {
	host := address
	if hn := ssh_config.Get(address, "HostName"); hn != "" {
		host = strings.ReplaceAll(hn, "%h", address)
	}
	p := strconv.Itoa(port)
	if port == 0 {
		p = ssh_config.Get(address, "Port")
		if p == "" {
			p = "22"
		}
	}
	return net.JoinHostPort(host, p)
}

// jumpAddr resolves a jump value (an inventory host or [user@]host[:port])
// to the address to dial.
func jumpAddr(inv *Inventory, jump string) (string, error) {
	if jh, ok := inv.Host(jump); ok {
		return sshAddr(jh.Address, inv.SSHFor(jh).Port), nil
	}
	hp := jump
	if at := strings.LastIndex(hp, "@"); at >= 0 {
		hp = hp[at+1:]
	}
	if host, port, err := net.SplitHostPort(hp); err == nil {
		p, err := strconv.Atoi(port)
		if err != nil {
			return "", fmt.Errorf("jump %q: port %q is not a number", jump, port)
		}
		return sshAddr(host, p), nil
	}
	return sshAddr(hp, 0), nil
}

// sshBanner connects and reads the server's identification line. RFC 4253
// lets a server send other lines first, so a few are skipped.
func sshBanner(ctx context.Context, addr string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(3 * time.Second)
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return "", err
	}
	r := bufio.NewReaderSize(conn, 512)
	for range 5 {
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "SSH-2.0-") || strings.HasPrefix(line, "SSH-1.99-") {
			return line, nil
		}
		if strings.HasPrefix(line, "SSH-") {
			return "", fmt.Errorf("server speaks an old SSH protocol: %q", line)
		}
		if err != nil {
			return "", fmt.Errorf("no SSH banner: %w", err)
		}
	}
	return "", errors.New("no SSH banner in the first lines the server sent")
}
