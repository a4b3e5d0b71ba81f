package nshost

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// HideTool makes the command tool unusable on host h, as on a host where
// it is not installed: a non-executable empty file is bind-mounted over it
// in h's sshd mount namespace, so every login session sees it (dash's
// command -v no longer finds it; running it is refused), while the
// machine and the other hosts keep theirs.
func (b *Bed) HideTool(h *Host, tool string) {
	b.tb.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		b.tb.Fatalf("nshost: %s is not installed here, nothing to hide: %v", tool, err)
	}
	if path, err = filepath.EvalSymlinks(path); err != nil {
		b.tb.Fatalf("nshost: %v", err)
	}
	empty := filepath.Join(h.dir, "hidden-"+tool)
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		b.tb.Fatalf("nshost: %v", err)
	}
	if _, err := run("nsenter", "-t", strconv.Itoa(h.SSHDPid()), "-m", "mount", "--bind", empty, path); err != nil {
		b.tb.Fatalf("nshost: hide %s on %s: %v", tool, h.Name, err)
	}
}

// RevokeSudo takes the sudo user's passwordless sudo away on host h (its
// sudoers becomes the machine's own again): the user still logs in, but
// `sudo -n` refuses it.
func (b *Bed) RevokeSudo(h *Host) {
	b.tb.Helper()
	orig, err := os.ReadFile("/etc/sudoers")
	if err != nil {
		b.tb.Fatalf("nshost: %v", err)
	}
	// Written in place: ip netns exec bind-mounted this very file over
	// the host's /etc/sudoers, so the host sees the change at once.
	if err := os.WriteFile(filepath.Join(etcNetns, h.NS, "sudoers"), orig, 0o440); err != nil {
		b.tb.Fatalf("nshost: revoke sudo on %s: %v (was the bed made with a SudoUser?)", h.Name, err)
	}
}
