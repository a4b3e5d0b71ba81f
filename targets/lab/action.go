package lab

import (
	"context"
	"errors"
	"fmt"
	"github.com/gameday-dev/gameday/internal/proc"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

var signals = map[string]syscall.Signal{
	"KILL": syscall.SIGKILL, "STOP": syscall.SIGSTOP, "CONT": syscall.SIGCONT,
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP,
}

// Do runs actions in order. Unless keepGoing, the first failure skips the
// rest. Reverts run with keepGoing so one failure does not leave the other
// faults in place.
func (l *Lab) Do(actions []labapi.Action, keepGoing bool) []labapi.Result {
	l.doMu.Lock()
	defer l.doMu.Unlock()
	res := make([]labapi.Result, len(actions))
	failed := false
	for i, a := range actions {
		res[i].Action = a
		if failed && !keepGoing {
			res[i].Skipped = true
			continue
		}
		pid, err := l.do(a)
		res[i].PID = pid
		if err != nil {
			res[i].Error = err.Error()
			failed = true
			continue
		}
		res[i].OK = true
	}
	return res
}

// child finds a Redis or Sentinel node by name.
func (l *Lab) child(name string) *child {
	for _, c := range append(append([]*child{}, l.redis...), l.sentinels...) {
		if c.name == name {
			return c
		}
	}
	return nil
}

// kafkaNode returns the 0-based broker index of a "kafka-N" node, or -1.
func (l *Lab) kafkaNode(name string) int {
	if l.kafka == nil {
		return -1
	}
	for i := range l.kafka.addrs {
		if name == fmt.Sprintf("kafka-%d", i+1) {
			return i
		}
	}
	return -1
}

func (l *Lab) do(a labapi.Action) (int, error) {
	switch a.Op {
	case labapi.OpRemoveFile:
		return 0, l.removeFile(a.Path)
	case labapi.OpCheck:
		return 0, l.check(a)
	}
	if n := l.full.node(a.Node); n != nil {
		return l.full.do(n, a)
	}
	c := l.child(a.Node)
	k := l.kafkaNode(a.Node)
	if c == nil && k < 0 {
		return 0, fmt.Errorf("%s: no lab node named %q", a.Op, a.Node)
	}
	if k >= 0 {
		switch a.Op {
		case labapi.OpCut, labapi.OpHeal:
			if len(a.Peers) > 0 || (a.Direction != "" && a.Direction != "both") {
				return os.Getpid(), fmt.Errorf("%s: %s is cut whole; direction and peers apply to redis and sentinel nodes", a.Op, a.Node)
			}
			return os.Getpid(), l.kafka.setCut(k, a.Op == labapi.OpCut)
		default:
			return 0, fmt.Errorf("%s: %s is a kfake broker inside the lab process; it supports only %s and %s", a.Op, a.Node, labapi.OpCut, labapi.OpHeal)
		}
	}
	pid := func() int { p, _ := c.status(); return p }
	switch a.Op {
	case labapi.OpSignal:
		sig, ok := signals[strings.TrimPrefix(strings.ToUpper(a.Signal), "SIG")]
		if !ok {
			return 0, fmt.Errorf("signal: unknown signal %q (want KILL, STOP, CONT, TERM, INT or HUP)", a.Signal)
		}
		p := pid()
		// After SIGKILL, signal returns once the process is gone.
		return p, c.signal(sig)
	case labapi.OpStart:
		if _, st := c.status(); st != labapi.StateStopped {
			// A paused node "starts" by continuing: the revert of a kill
			// that was never armed must not leave a node frozen.
			return pid(), c.signal(syscall.SIGCONT)
		}
		if err := c.start(); err != nil {
			return 0, err
		}
		// Started means answering: a revert that says the node is back
		// must not race its first PING.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c.kind == labapi.KindSentinel {
			return pid(), tuneSentinel(ctx, c)
		}
		return pid(), answer(ctx, c, "PING")
	case labapi.OpStop:
		return 0, c.stop(5 * time.Second)
	case labapi.OpCut, labapi.OpHeal:
		return pid(), l.cut(c, a.Op == labapi.OpCut, a.Direction, a.Peers)
	case labapi.OpToxicAdd, labapi.OpToxicRemove:
		if c.proxy == "" {
			return pid(), fmt.Errorf("%s: %s has no proxy", a.Op, a.Node)
		}
		switch a.Op {
		case labapi.OpToxicAdd:
			if a.Toxic == nil {
				return pid(), errors.New("toxic-add: toxic is missing")
			}
			return pid(), l.px.addToxic(c.proxy, *a.Toxic)
		default:
			if a.Toxic == nil || a.Toxic.Name == "" {
				return pid(), errors.New("toxic-remove: toxic.name is missing")
			}
			return pid(), l.px.removeToxic(c.proxy, a.Toxic.Name)
		}
	case labapi.OpFaketime:
		if c.faketime == "" {
			return pid(), fmt.Errorf("faketime: %s does not run under libfaketime (start the lab with Faketime)", a.Node)
		}
		return pid(), proc.SetClockOffset(c.faketime, a.Offset)
	default:
		return 0, fmt.Errorf("unknown op %q", a.Op)
	}
}

// cut partitions (on) or heals c. See OpCut for direction and peers.
func (l *Lab) cut(c *child, on bool, direction string, peerNames []string) error {
	op := labapi.OpHeal
	if on {
		op = labapi.OpCut
	}
	in, out := true, true
	switch direction {
	case "", "both":
	case "in":
		out = false
	case "out":
		in = false
	default:
		return fmt.Errorf("%s: direction %q is not in, out or both", op, direction)
	}
	var peers []*child
	for _, n := range peerNames {
		p := l.child(n)
		switch {
		case p == nil:
			return fmt.Errorf("%s: peer %q is not a redis or sentinel node of the lab", op, n)
		case p == c:
			return fmt.Errorf("%s: %s cannot be cut from itself", op, n)
		}
		peers = append(peers, p)
	}
	set := func(r *relay, ip string) {
		if on {
			r.block(ip)
		} else {
			r.unblock(ip)
		}
	}
	if in {
		if len(peers) == 0 {
			if err := l.px.setEnabled(c.proxy, !on); err != nil {
				return err
			}
			if !on {
				// A full heal also lifts peer-specific cuts towards c.
				for _, ip := range c.relay.blockedIPs() {
					c.relay.unblock(ip)
				}
			}
		}
		for _, p := range peers {
			set(c.relay, p.ip)
		}
	}
	if out {
		for _, t := range l.outPeers(c, peers) {
			set(t.relay, c.ip)
		}
	}
	return nil
}

// outPeers are the nodes whose relays an outgoing cut of c acts on: the
// peers named, or else every other node.
func (l *Lab) outPeers(c *child, peers []*child) []*child {
	if len(peers) > 0 {
		return peers
	}
	var out []*child
	for _, o := range l.nodes() {
		if o != c {
			out = append(out, o)
		}
	}
	return out
}

// nodes are the lab's Redis nodes and Sentinels.
func (l *Lab) nodes() []*child {
	return append(append([]*child{}, l.redis...), l.sentinels...)
}

// removeFile removes a file inside the lab dir; a missing file is fine.
func (l *Lab) removeFile(path string) error {
	if path == "" {
		return errors.New("remove-file: path is missing")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("remove-file %s: %w", path, err)
	}
	rel, err := filepath.Rel(l.opts.Dir, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("remove-file: %s is outside the lab dir %s", path, l.opts.Dir)
	}
	if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove-file: %w", err)
	}
	return nil
}
