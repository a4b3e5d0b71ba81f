// Package labapi is the lab control API as it travels on the wire: the
// requests and answers `gameday lab up` serves on loopback, and the client
// that inject, runbooks and the checks use to talk to it. It holds no
// supervisor code, so a client does not link the lab itself.
package labapi

import (
	"fmt"
	"strings"
	"time"
)

// JVMStartBound is how long the lab waits, on an OpStart of a JVM node (a
// full lab's Cassandra node or Kafka broker), for the node's log to say it
// is ready before it fails the action. A bound on a hang, not a
// performance figure: a Cassandra node's start took 4.5 min at load 50 on
// the 2-core machine, and a restart after a kill more than 3 min at load
// 45 (the full lab's start in tests has 10 min, labtest). A client that
// asks for such a start waits at least this long.
const JVMStartBound = 10 * time.Minute

// Ops of an Action.
const (
	// OpSignal sends Signal ("KILL", "STOP", "CONT", "TERM") to Node.
	OpSignal = "signal"
	// OpStart starts Node again with its config, after a kill or stop. A
	// running node is left alone.
	OpStart = "start"
	// OpStop stops Node gracefully (SIGTERM, SIGKILL after 5 s).
	OpStop = "stop"
	// OpToxicAdd adds Toxic to Node's proxy (replacing one of that name).
	OpToxicAdd = "toxic-add"
	// OpToxicRemove removes the toxic named Toxic.Name from Node's proxy.
	OpToxicRemove = "toxic-remove"
	// OpCut partitions Node. Direction "in" stops traffic to the node:
	// its Toxiproxy proxy is disabled (or, with Peers, only those peers are
	// refused). "out" stops traffic from it: every other node's relay (or
	// the Peers' relays) refuses and drops its connections. "both" (the
	// default) is both. A Kafka broker is only cut whole: it drops every
	// connection and accepts none.
	OpCut = "cut"
	// OpHeal undoes OpCut with the same Direction and Peers. Without them
	// it heals everything involving Node.
	OpHeal = "heal"
	// OpFaketime sets Node's libfaketime offset ("-60s", "+0").
	OpFaketime = "faketime"
	// OpRemoveFile removes Path, which must lie inside the lab dir (the
	// revert of a disk-fill filler file).
	OpRemoveFile = "remove-file"
	// OpCheck changes nothing: it succeeds when the effect of Check (an
	// action of the ops above) is in place — or, with Gone, when it is
	// gone — and otherwise fails saying what it found: a killed or stopped
	// node is not running (gone: it runs and answers), a stopped one is
	// paused (gone: not paused), a cut node is cut that way (gone: not at
	// all), a toxic is on the proxy, a faketime offset is set (gone: 0), a
	// removed file is absent (in place: present). It is how inject
	// verifies lab faults, and what lab guards run after their reverts.
	OpCheck = "check"
)

// Action is one operation on a lab node, sent to the control API.
type Action struct {
	Op   string `json:"op"`
	Node string `json:"node,omitempty"`
	// Signal is for OpSignal.
	Signal string `json:"signal,omitempty"`
	// Toxic is for OpToxicAdd (whole toxic) and OpToxicRemove (Name).
	Toxic *Toxic `json:"toxic,omitempty"`
	// Offset is for OpFaketime.
	Offset string `json:"offset,omitempty"`
	// Path is for OpRemoveFile.
	Path string `json:"path,omitempty"`
	// Direction is for OpCut/OpHeal: "in", "out" or "both" (default).
	Direction string `json:"direction,omitempty"`
	// Peers limits OpCut/OpHeal to traffic with these nodes (default: all,
	// clients included for "in").
	Peers []string `json:"peers,omitempty"`
	// Check and Gone are for OpCheck: the action whose effect is checked,
	// and whether it must be gone rather than in place.
	Check *Action `json:"check,omitempty"`
	Gone  bool    `json:"gone,omitempty"`
}

// String describes the action in one line, for results and logs.
func (a Action) String() string {
	if a.Op == OpCheck && a.Check != nil {
		if a.Gone {
			return "check gone: " + a.Check.String()
		}
		return "check in place: " + a.Check.String()
	}
	var b strings.Builder
	b.WriteString(a.Op)
	if a.Node != "" {
		b.WriteString(" " + a.Node)
	}
	switch {
	case a.Signal != "":
		b.WriteString(" SIG" + strings.TrimPrefix(strings.ToUpper(a.Signal), "SIG"))
	case a.Toxic != nil:
		b.WriteString(" " + a.Toxic.Name)
	case a.Offset != "":
		b.WriteString(" " + a.Offset)
	case a.Path != "":
		b.WriteString(" " + a.Path)
	}
	if a.Direction != "" {
		b.WriteString(" " + a.Direction)
	}
	if len(a.Peers) > 0 {
		b.WriteString(" peers " + strings.Join(a.Peers, ","))
	}
	return b.String()
}

// Toxic is a Toxiproxy toxic as its API spells it: Type is "latency",
// "bandwidth", "timeout", "reset_peer", "slow_close", "slicer" or
// "limit_data"; Stream is "downstream" (default) or "upstream"; Toxicity
// 0 means 1. Attributes are the toxic's parameters, all whole numbers in
// Toxiproxy (latency/jitter in ms, rate in KB/s, timeout in ms, bytes).
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream,omitempty"`
	Toxicity   float32        `json:"toxicity,omitempty"`
	Attributes map[string]int `json:"attributes,omitempty"`
}

// Result is the outcome of one Action.
type Result struct {
	Action Action `json:"action"`
	OK     bool   `json:"ok"`
	// Skipped is set for actions not run because an earlier one failed.
	Skipped bool   `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
	// PID is the node's pid after the action, when it has one.
	PID int `json:"pid,omitempty"`
}

// FirstError returns the first failed result as an error, or nil.
func FirstError(results []Result) error {
	for _, r := range results {
		if !r.OK && !r.Skipped {
			return fmt.Errorf("lab %s: %s", r.Action, r.Error)
		}
	}
	return nil
}

// DoRequest is the body of POST /v1/do.
type DoRequest struct {
	Actions []Action `json:"actions"`
	// KeepGoing runs every action even after one fails (for reverts).
	KeepGoing bool `json:"keep_going,omitempty"`
}

// DoResponse is the answer of POST /v1/do.
type DoResponse struct {
	Results []Result `json:"results"`
}

// ErrorBody is how the API reports a request it could not serve.
type ErrorBody struct {
	Error string `json:"error"`
}
