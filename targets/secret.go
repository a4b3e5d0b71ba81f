package targets

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Secret reference kinds.
const (
	secretEnv  = "env:"
	secretFile = "file:"
)

// errInlineSecret is the one sentence for a password written into the
// file. It deliberately carries nothing of the value.
var errInlineSecret = errors.New("inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)")

// IsZero reports whether no secret is configured.
func (s SecretRef) IsZero() bool { return s == "" }

// validate checks the reference's form without reading the secret.
func (s SecretRef) validate() error {
	str := string(s)
	switch {
	case str == "":
		return nil
	case strings.HasPrefix(str, secretEnv):
		name := str[len(secretEnv):]
		if !isEnvName(name) {
			return fmt.Errorf("env: reference needs a variable name of letters, digits and _ (not starting with a digit)")
		}
		return nil
	case strings.HasPrefix(str, secretFile):
		if strings.TrimSpace(str[len(secretFile):]) == "" {
			return errors.New("file: reference needs a path")
		}
		return nil
	}
	return errInlineSecret
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// Resolve reads the secret the reference points at: the environment
// variable for env:NAME, the file's content (without a trailing newline)
// for file:PATH. An empty reference resolves to "". Errors name the
// reference, never the value.
func (s SecretRef) Resolve() (string, error) {
	if s == "" {
		return "", nil
	}
	if err := s.validate(); err != nil {
		return "", err
	}
	str := string(s)
	if name, ok := strings.CutPrefix(str, secretEnv); ok {
		v, set := os.LookupEnv(name)
		if !set {
			return "", fmt.Errorf("secret %s: environment variable %s is not set", s, name)
		}
		return v, nil
	}
	path := str[len(secretFile):]
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", s, err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

// String shows the reference ("env:REDIS_PASSWORD"), which is not itself
// secret; anything that is not a valid reference is shown as hidden, so a
// mistakenly inline password never reaches a log, journal or export.
func (s SecretRef) String() string {
	if s == "" {
		return ""
	}
	if s.validate() != nil {
		return "<hidden>"
	}
	return string(s)
}

// MarshalText encodes the reference as String does, so JSON and YAML
// output cannot leak an inline value either.
func (s SecretRef) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}
