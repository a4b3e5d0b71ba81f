package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
)

// secret is a password an operator typed into a kill's start command.
const secret = "Hunter2-s3cr3t"

// A secret in a fault parameter never shows in a dry run, nor in the list
// of faults, though the ledger keeps the parameter whole for the revert.
func TestSecretParamsNeverShown(t *testing.T) {
	inv := faultEnv(t)
	ios, _, out, errOut := testStreams()
	args := []string{"inject", "kill", "--host", "db1", "-p", "pattern=redis-server",
		"-p", "start=redis-server --port 6379 --requirepass " + secret, "--dry-run", "-i", inv}
	if code := run(args, ios); code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	if strings.Contains(out.String()+errOut.String(), secret) {
		t.Errorf("the dry run shows the secret:\n%s%s", out, errOut)
	}
	if !strings.Contains(out.String(), "--requirepass [redacted]") {
		t.Errorf("the dry run lost the harmless part of the start command:\n%s", out)
	}

	ios, _, out, _ = testStreams()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := inject.Armed{ID: "f-1", State: inject.StateArmed, ArmedAt: now, Deadline: now.Add(time.Minute),
		Request: inject.Request{Kind: "kill", Hosts: []string{"db1"}, TTL: time.Minute,
			Params: map[string]string{"start": "redis-server --requirepass " + secret, "api_key": secret, "pattern": "redis-server"}}}
	if err := writeFaults(ios, []inject.Armed{a}, now); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), secret) || !strings.Contains(out.String(), "pattern=redis-server") {
		t.Errorf("gameday faults shows:\n%s", out)
	}
}
