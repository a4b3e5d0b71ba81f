package lab

import (
	"os/exec"
	"runtime"
)

// spawner starts child processes from one OS thread that stays alive for
// the lab's whole life. Pdeathsig is tied to the thread that forked the
// child, not to the process: a child started from an ordinary goroutine
// would be SIGKILLed whenever the Go runtime retires that thread. Pinning
// every fork to one locked thread keeps the signal for what it is meant
// for — the lab process dying.
type spawner struct {
	reqs chan spawnReq
	done chan struct{}
}

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *spawner) run() {
	// Never unlocked: when this goroutine returns, its thread exits and
	// any child still alive gets its Pdeathsig — a last-resort cleanup.
	runtime.LockOSThread()
	defer close(s.done)
	for r := range s.reqs {
		r.errc <- r.cmd.Start()
	}
}

// start runs cmd.Start on the spawner's thread.
func (s *spawner) start(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	s.reqs <- spawnReq{cmd: cmd, errc: errc}
	return <-errc
}

// close ends the spawner once every child has been stopped.
func (s *spawner) close() {
	close(s.reqs)
	<-s.done
}
