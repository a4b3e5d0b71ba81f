package labapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the file in the lab dir that holds the control API's
// token, mode 0600: the API listens on loopback, where every local user
// can connect, so only whoever can read the lab's dir (its owner, or
// root) may control the lab. A new token is written at every lab start.
const TokenFile = "control.token"

// TokenPath is the token file of the lab in dir.
func TokenPath(dir string) string { return filepath.Join(dir, TokenFile) }

// NewToken returns a fresh random token (256 bits, hex).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make the lab control token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// readToken reads the token of the lab in dir. A dir without a token
// file belongs to a lab from before tokens, which asks for none: the
// client then sends none.
func readToken(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	b, err := os.ReadFile(TokenPath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the lab control token (only the user who started the lab can control it): %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// setToken adds the token to a request.
func setToken(req *http.Request, token string) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
}

// Authorized reports whether a request carries token, in constant time.
func Authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
