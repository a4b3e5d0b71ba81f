package warroom

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// HostKey returns the server's host key kept at path, generating an
// ed25519 key the first time. The key file is 0600 in a 0700 directory
// (a wider mode found on disk is narrowed), so that the fingerprint
// people check when they first connect stays the same from one game day
// to the next and nobody else can take it. created tells that it is new.
func HostKey(path string) (signer gossh.Signer, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return newHostKey(path)
	case err != nil:
		return nil, false, fmt.Errorf("host key %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, false, fmt.Errorf("host key %s: restrict mode to 0600: %w", path, err)
		}
	}
	signer, err = gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, false, fmt.Errorf("host key %s: %w (remove it to have a new one generated, and tell everyone the new fingerprint)", path, err)
	}
	return signer, false, nil
}

func newHostKey(path string) (gossh.Signer, bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("host key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "gameday serve host key")
	if err != nil {
		return nil, false, err
	}
	// O_EXCL: two servers started at once must not each write a key and
	// print a fingerprint the other then replaces.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return HostKey(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("host key %s: %w", path, err)
	}
	_, werr := f.Write(pem.EncodeToMemory(block))
	if serr := f.Sync(); werr == nil {
		werr = serr
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("host key %s: %w", path, werr)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	return signer, true, err
}

// Fingerprint is the SHA256 fingerprint of the host key, as ssh shows it
// when it first connects ("SHA256:…").
func Fingerprint(s gossh.Signer) string { return gossh.FingerprintSHA256(s.PublicKey()) }
