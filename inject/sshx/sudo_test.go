package sshx_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
)

func TestNonRootUserRunsScriptsUnderSudo(t *testing.T) {
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("sudo is not installed (scripts/deps.sh installs it)")
	}
	bed := nshost.New(t, 1, nshost.Options{SudoUser: "gdsudo"})
	inv := bed.Inventory()
	inv.SSH.User = "gdsudo"
	pool := sshx.New(inv, isolated(t))
	defer pool.Close()
	res, err := pool.Run(context.Background(), inv.Hosts[0], `printf '%s %s' "$(id -u)" "$SUDO_USER"`)
	if err != nil {
		t.Fatalf("Run: %v\nsshd log:\n%s", err, bed.Hosts[0].SSHDLog())
	}
	if res.Stdout != "0 gdsudo" || res.Exit != 0 {
		t.Fatalf("got %+v; want the script to run as root via sudo from gdsudo", res)
	}
}
