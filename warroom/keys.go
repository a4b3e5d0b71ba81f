// Package warroom serves a live game day session over SSH, as `gameday
// serve` runs it: everyone in the room types `ssh -p PORT HOST` and gets
// the full screen on the one shared session, sized to their terminal, in
// the role the keys file gives their public key. Only that screen is
// served: no shell, no exec, no forwarding.
package warroom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gameday-dev/gameday/session"
)

// Keys is a parsed keys file: who may join, under which name and role.
//
// The file is authorized_keys-like, one person's key per line:
//
//	# NAME  ROLE         PUBLIC KEY (as in ~/.ssh/id_ed25519.pub)
//	alice   facilitator  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… alice@laptop
//	bob     observer     ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA…
//
// Blank lines and lines starting with # are ignored. A person may have
// several keys (one line each, same role); a key belongs to one person.
type Keys struct {
	Path  string
	byKey map[string]entry // by SHA256 fingerprint
}

type entry struct {
	person session.Person
	line   int
}

// LoadKeys reads and checks a keys file. Every problem is one sentence
// naming the file and line.
func LoadKeys(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("keys file %s: %v", path, err)
	}
	return ParseKeys(path, b)
}

// ParseKeys parses the contents of a keys file named path.
func ParseKeys(path string, b []byte) (*Keys, error) {
	k := &Keys{Path: path, byKey: map[string]entry{}}
	roles := map[string]session.Role{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			return nil, fmt.Errorf("%s:%d: want NAME ROLE PUBLIC-KEY (e.g. alice facilitator ssh-ed25519 AAAA…), got %d field(s)", path, n, len(fields))
		}
		name := fields[0]
		role, err := session.ParseRole(fields[1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		rest := strings.TrimSpace(line[strings.Index(line, fields[2]):])
		pub, _, _, _, err := gossh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s's public key does not parse (%s): paste the whole line of their .pub file after the role", path, n, name, strings.TrimPrefix(err.Error(), "ssh: "))
		}
		fp := gossh.FingerprintSHA256(pub)
		if prev, dup := k.byKey[fp]; dup {
			return nil, fmt.Errorf("%s:%d: this key is already %s's (line %d): a key belongs to one person", path, n, prev.person.Name, prev.line)
		}
		if r, seen := roles[name]; seen && r != role {
			return nil, fmt.Errorf("%s:%d: %s is %s on an earlier line: one person has one role", path, n, name, r)
		}
		roles[name] = role
		k.byKey[fp] = entry{person: session.Person{Name: name, Role: role, Key: fp}, line: n}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", path, n+1, err)
	}
	if len(k.byKey) == 0 {
		return nil, fmt.Errorf("%s holds no key: nobody could join (one line per person: NAME ROLE PUBLIC-KEY)", path)
	}
	return k, nil
}

// Lookup returns the person a public key belongs to.
func (k *Keys) Lookup(pub gossh.PublicKey) (session.Person, bool) {
	e, ok := k.byKey[gossh.FingerprintSHA256(pub)]
	return e.person, ok
}

// Len is how many keys the file holds.
func (k *Keys) Len() int { return len(k.byKey) }
