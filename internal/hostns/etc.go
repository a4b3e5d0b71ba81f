package hostns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// etcFile is one file of a host's own /etc.
type etcFile struct {
	name, content string
	mode          os.FileMode
}

// WriteEtc gives host h its own account files, seen by its sshd and every
// session as /etc/… while the machine's own files stay untouched, and
// sets h.AuthorizedKeys to identityPub (the login key's .pub file) unless
// a copy is needed:
//   - root logs in with /bin/sh: bash sources ~/.bashrc even for ssh
//     commands, and the machine's root ~/.bashrc (whatever it runs) would
//     otherwise run in every session of every host, serialising them;
//   - with sudoUser, a login user of that name with passwordless sudo,
//     reading its authorized keys from a world-readable copy.
func (h *Host) WriteEtc(sudoUser, identityPub string) error {
	h.AuthorizedKeys = identityPub
	dir := filepath.Join(EtcNetns, h.NS)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return err
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(passwd), "\n"), "\n") {
		if f := strings.Split(l, ":"); len(f) == 7 && f[0] == "root" {
			f[6] = "/bin/sh"
			l = strings.Join(f, ":")
		}
		lines = append(lines, l)
	}
	files := []etcFile{{"passwd", strings.Join(lines, "\n") + "\n", 0o644}}
	if sudoUser != "" {
		files[0].content += fmt.Sprintf("%s:x:4242:4242:gameday test:/:/bin/sh\n", sudoUser)
		for _, e := range []etcFile{
			{"group", fmt.Sprintf("%s:x:4242:\n", sudoUser), 0o644},
			{"shadow", fmt.Sprintf("%s:*:19000:0:99999:7:::\n", sudoUser), 0o640},
			{"sudoers", fmt.Sprintf("%s ALL=(ALL) NOPASSWD: ALL\n", sudoUser), 0o440},
		} {
			orig, err := os.ReadFile(filepath.Join("/etc", e.name))
			if err != nil {
				return fmt.Errorf("sudo user needs /etc/%s: %w", e.name, err)
			}
			if len(orig) > 0 && orig[len(orig)-1] != '\n' {
				orig = append(orig, '\n')
			}
			e.content = string(orig) + e.content
			files = append(files, e)
		}
		// sshd reads authorized keys as the user, who cannot enter a 0700
		// directory of root's: give it a readable copy.
		pub, err := os.ReadFile(identityPub)
		if err != nil {
			return err
		}
		h.AuthorizedKeys = filepath.Join(dir, "authorized_keys")
		if err := os.WriteFile(h.AuthorizedKeys, pub, 0o644); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.content), f.mode); err != nil {
			return err
		}
	}
	return nil
}
