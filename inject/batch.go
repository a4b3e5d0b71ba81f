package inject

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/gameday-dev/gameday/targets"
)

// batcher is an executor that runs several steps on a host in one round
// trip (one SSH session instead of one per step), in order, stopping at
// the first that fails, each step's outcome reported as if it had run
// alone. done is how many steps succeeded; err is the failed step's error,
// in Run's words.
type batcher interface {
	RunBatch(ctx context.Context, h targets.Host, steps []Step) (done int, err error)
}

// RunBatch runs steps as one script: each step in a subshell of its own
// (its exit, set -e and variables stay in it; stdin /dev/null), followed
// by a line on stdout and on stderr naming the step and its exit status
// after a nonce the steps cannot know, so that each step's output and
// status are told apart; the script stops after the first failing step.
// Two sessions' start-up on the host (an sshd child and a shell each) are
// saved per pair of steps.
func (x sshExecutor) RunBatch(ctx context.Context, h targets.Host, steps []Step) (int, error) {
	nonce := batchNonce()
	var b strings.Builder
	for i, s := range steps {
		mark := Quote(nonce + " " + strconv.Itoa(i))
		// A plain command, not the left side of || or &&: there a
		// subshell's set -e would be ignored.
		b.WriteString(batchOpen + s.Script + batchClose)
		fmt.Fprintf(&b, "printf '\\n%%s %%s\\n' %s \"$gd_rc\"\nprintf '\\n%%s %%s\\n' %s \"$gd_rc\" >&2\n%s", mark, mark, batchStop)
	}
	res, err := x.runner().Run(ctx, h, b.String())
	outs, errs := splitBatch(res.Stdout, nonce), splitBatch(res.Stderr, nonce)
	for i, s := range steps {
		if i >= len(outs) || i >= len(errs) || outs[i].step != i || errs[i].step != i {
			// The step did not report: the connection or the batch's
			// shell ended first.
			if err == nil {
				err = fmt.Errorf("the host's shell ended before the step reported (exit status %d)", res.Exit)
			}
			return i, scriptErr(h, s, Result{}, err)
		}
		if e := scriptErr(h, s, Result{Stdout: outs[i].text, Stderr: errs[i].text, Exit: outs[i].exit}, nil); e != nil {
			return i, e
		}
	}
	return len(steps), nil
}

// A batch's step is its script between batchOpen and batchClose; after
// its status lines, batchStop ends the batch when it failed.
const (
	batchOpen  = "(\n"
	batchClose = "\n) </dev/null\ngd_rc=$?\n"
	batchStop  = "[ \"$gd_rc\" -eq 0 ] || exit 0\n"
)

// BatchSteps returns the step scripts of a batch that RunBatch sent, in
// order, or script itself when it is not a batch: what a host ran, step
// by step, for tests and audits that compare it with a plan.
func BatchSteps(script string) []string {
	if !strings.HasPrefix(script, batchOpen) || !strings.Contains(script, batchClose) {
		return []string{script}
	}
	var steps []string
	for strings.HasPrefix(script, batchOpen) {
		body, rest, ok := strings.Cut(script[len(batchOpen):], batchClose)
		if !ok {
			break
		}
		steps = append(steps, body)
		_, script, _ = strings.Cut(rest, batchStop)
	}
	return steps
}

// batchPart is one step's share of a batch's stdout or stderr.
type batchPart struct {
	step, exit int
	text       string
}

// splitBatch cuts a batch's output at its marker lines ("\nNONCE I RC\n").
func splitBatch(out, nonce string) []batchPart {
	var parts []batchPart
	sep := "\n" + nonce + " "
	for {
		i := strings.Index(out, sep)
		if i < 0 {
			return parts
		}
		text, rest := out[:i], out[i+len(sep):]
		line, after, ok := strings.Cut(rest, "\n")
		f := strings.Fields(line)
		if !ok || len(f) != 2 {
			return parts
		}
		step, err1 := strconv.Atoi(f[0])
		exit, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			return parts
		}
		parts = append(parts, batchPart{step: step, exit: exit, text: text})
		out = after
	}
}

// batchNonce is 16 random hex digits.
func batchNonce() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return "gameday-step-" + hex.EncodeToString(b[:])
}
