package nshost

import (
	"fmt"
	"os"
	"path/filepath"
)

// etcNetns is where `ip netns exec` finds per-namespace /etc files, which
// it bind-mounts over /etc for everything it starts in that namespace.
const etcNetns = "/etc/netns"

// addSudoUser gives host h a login user with passwordless sudo, visible
// only inside h (sshd and its sessions see /etc/netns/<ns>/{passwd,group,
// shadow,sudoers} as /etc/…): the machine's own files are not touched.
func (b *Bed) addSudoUser(h *Host, user string) error {
	dir := filepath.Join(etcNetns, h.NS)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name, extra string
		mode        os.FileMode
	}{
		{"passwd", fmt.Sprintf("%s:x:4242:4242:gameday test:/:/bin/sh\n", user), 0o644},
		{"group", fmt.Sprintf("%s:x:4242:\n", user), 0o644},
		{"shadow", fmt.Sprintf("%s:*:19000:0:99999:7:::\n", user), 0o640},
		{"sudoers", fmt.Sprintf("%s ALL=(ALL) NOPASSWD: ALL\n", user), 0o440},
	}
	// sshd reads authorized keys as the user, who cannot enter the test's
	// 0700 temporary directory: give it a readable copy.
	pub, err := os.ReadFile(b.IdentityFile + ".pub")
	if err != nil {
		return err
	}
	h.authorizedKeys = filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(h.authorizedKeys, pub, 0o644); err != nil {
		return err
	}
	for _, f := range files {
		orig, err := os.ReadFile(filepath.Join("/etc", f.name))
		if err != nil {
			return fmt.Errorf("sudo user needs /etc/%s: %w", f.name, err)
		}
		if len(orig) > 0 && orig[len(orig)-1] != '\n' {
			orig = append(orig, '\n')
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), append(orig, f.extra...), f.mode); err != nil {
			return err
		}
	}
	return nil
}
