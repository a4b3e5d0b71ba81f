// Command gameday is a terminal UI for chaos-engineering game days on Kafka,
// Cassandra and Redis Sentinel. This package only wires the CLI to the
// domain packages.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gameday-dev/gameday/targets"
)

func main() {
	os.Exit(run(os.Args[1:], newIOStreams()))
}

// run executes the CLI and maps its error to an exit status: 0 ok, 1 a
// verdict or check that failed, 2 bad input, 3 aborted, or the status an
// ExitError carries.
func run(args []string, io *IOStreams) int {
	root := NewCmdRoot(io)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			printError(io, ee.Err)
		}
		return ee.Code
	}
	printError(io, err)
	return 2
}

// printError prints a file's problems (an inventory's, a runbook's) one
// per line, exactly as the loader words them; any other error as one
// "gameday: " line.
func printError(io *IOStreams, err error) {
	var ps targets.Problems
	if errors.As(err, &ps) {
		fmt.Fprintln(io.ErrOut, ps.Error())
		return
	}
	fmt.Fprintf(io.ErrOut, "gameday: %v\n", err)
}

// ExitError carries an exit status with an optional message. A nil Err
// means the command already told the user what happened.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit statuses shared by every command.
const (
	ExitOK       = 0
	ExitFailed   = 1 // a check, probe or hypothesis did not hold
	ExitBadInput = 2 // the user's input is wrong
	ExitAborted  = 3 // a runbook abort condition fired
)
