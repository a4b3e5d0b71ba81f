package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// check answers OpCheck: nil when the effect of a.Check is in place (or,
// with a.Gone, gone), else what was found instead. It changes nothing.
func (l *Lab) check(a labapi.Action) error {
	c := a.Check
	if c == nil {
		return errors.New("check: the action to check is missing")
	}
	want := "in place"
	if a.Gone {
		want = "gone"
	}
	in, gone, err := l.effect(*c)
	if err != nil {
		return fmt.Errorf("check %s: %w", c, err)
	}
	if (a.Gone && gone) || (!a.Gone && in) {
		return nil
	}
	return fmt.Errorf("check %s: want it %s, found %s", c, want, l.describe(*c))
}

// effect reports whether the effect of action c is in place now, and
// whether it is gone: mostly one is the other's opposite, but a clock is
// back only at offset 0, and a cut half in place is neither.
func (l *Lab) effect(c labapi.Action) (in, gone bool, err error) {
	in, err = l.inPlace(c)
	switch {
	case err != nil:
		return false, false, err
	case c.Op == labapi.OpFaketime:
		zero := c
		zero.Offset = "+0"
		gone, err = l.inPlace(zero)
		return in, gone, err
	case c.Op == labapi.OpCut:
		var any bool
		any, err = l.isCutAtAll(c)
		return in, !any, err
	}
	return in, !in, nil
}

// inPlace reports whether the effect of action c is in place now.
func (l *Lab) inPlace(c labapi.Action) (bool, error) {
	if c.Op == labapi.OpRemoveFile {
		// The filler a remove-file reverts: in place while it exists.
		_, err := os.Stat(c.Path)
		return err == nil, nil
	}
	if n := l.full.node(c.Node); n != nil {
		switch c.Op {
		case labapi.OpSignal, labapi.OpStop:
			if isStop(c) {
				return stopped(n.PID()), nil
			}
			return !n.Running() || !dials(n.Endpoint()), nil
		case labapi.OpCut:
			return l.full.fw.Isolated(n.Addr), nil
		case labapi.OpFaketime:
			return offsetIs(n.FaketimeFile, c.Offset)
		}
		return false, fmt.Errorf("a real %s node has no %s to check", nodeKind(n.Name), c.Op)
	}
	if k := l.kafkaNode(c.Node); k >= 0 {
		if c.Op != labapi.OpCut {
			return false, fmt.Errorf("a kfake broker has no %s to check", c.Op)
		}
		return l.kafka.gates[k].isCut(), nil
	}
	ch := l.child(c.Node)
	if ch == nil {
		return false, fmt.Errorf("no lab node named %q", c.Node)
	}
	switch c.Op {
	case labapi.OpSignal, labapi.OpStop:
		pid, st := ch.status()
		if isStop(c) {
			return stopped(pid), nil
		}
		if st == labapi.StateStopped {
			return true, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		rc := redisClient(ch.listen)
		defer rc.Close()
		return rc.Ping(ctx).Err() != nil, nil
	case labapi.OpToxicAdd:
		if c.Toxic == nil {
			return false, errors.New("the toxic is missing")
		}
		names, err := l.px.toxics(ch.proxy)
		return slices.Contains(names, c.Toxic.Name), err
	case labapi.OpCut:
		all, _, err := l.cutParts(ch, c.Direction, c.Peers)
		return all, err
	case labapi.OpFaketime:
		return offsetIs(ch.faketime, c.Offset)
	}
	return false, fmt.Errorf("%s has nothing to check", c.Op)
}

// stopped tells whether the kernel has stopped pid (state T), which is
// what a pause is, whatever the lab's books say.
func stopped(pid int) bool {
	if pid == 0 {
		return false
	}
	st, err := proc.ReadStat(pid)
	return err == nil && st.State == 'T'
}

// isStop tells a pause (SIGSTOP) from a kill or a stop.
func isStop(c labapi.Action) bool {
	return c.Op == labapi.OpSignal && strings.TrimPrefix(strings.ToUpper(c.Signal), "SIG") == "STOP"
}

// isCutAtAll tells whether any part of cut c holds.
func (l *Lab) isCutAtAll(c labapi.Action) (bool, error) {
	if ch := l.child(c.Node); ch != nil {
		_, any, err := l.cutParts(ch, c.Direction, c.Peers)
		return any, err
	}
	return l.inPlace(c) // a broker or a real node is cut whole or not at all
}

// cutParts tells whether every part, and whether any part, of the cut of
// c with direction and peers holds.
func (l *Lab) cutParts(c *child, direction string, peerNames []string) (all, any bool, err error) {
	var peers []*child
	for _, n := range peerNames {
		p := l.child(n)
		if p == nil {
			return false, false, fmt.Errorf("peer %q is not a redis or sentinel node of the lab", n)
		}
		peers = append(peers, p)
	}
	var parts []bool
	if direction != "out" {
		if len(peers) == 0 {
			on, err := l.px.enabled(c.proxy)
			if err != nil {
				return false, false, err
			}
			parts = append(parts, !on)
		}
		for _, p := range peers {
			parts = append(parts, slices.Contains(c.relay.blockedIPs(), p.ip))
		}
	}
	if direction != "in" {
		for _, t := range l.outPeers(c, peers) {
			parts = append(parts, slices.Contains(t.relay.blockedIPs(), c.ip))
		}
	}
	all = true
	for _, p := range parts {
		all, any = all && p, any || p
	}
	return all, any, nil
}

// describe says what a failed check found, in a few words.
func (l *Lab) describe(c labapi.Action) string {
	switch c.Op {
	case labapi.OpRemoveFile:
		if _, err := os.Stat(c.Path); err == nil {
			return "the file still there"
		}
		return "no such file"
	case labapi.OpToxicAdd:
		return "the proxy's toxics as they were"
	case labapi.OpFaketime:
		return "another offset"
	case labapi.OpCut:
		return "the node's network not so"
	}
	for _, n := range l.Nodes() {
		if n.Name != c.Node {
			continue
		}
		if st, err := proc.ReadStat(n.PID); isStop(c) && n.PID != 0 && err == nil {
			return fmt.Sprintf("its process (pid %d) in state %c", n.PID, st.State)
		}
		return "the node " + n.State
	}
	return "no such node"
}

// dials tells whether addr accepts a TCP connection within a second.
func dials(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// offsetIs tells whether a libfaketime control file holds offset (as
// gameday writes it: "-60s", "+0", signed seconds).
func offsetIs(file, offset string) (bool, error) {
	if file == "" {
		return false, errors.New("the node does not run under libfaketime")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return false, err
	}
	have, err := offsetSeconds(strings.TrimSpace(string(b)))
	if err != nil {
		return false, err
	}
	want, err := offsetSeconds(offset)
	if err != nil {
		return false, err
	}
	return math.Abs(have-want) < 1e-3, nil
}

// offsetSeconds reads an offset as seconds.
func offsetSeconds(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("offset %q is not signed seconds or a duration", s)
	}
	return f, nil
}
