package sshx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authSource supplies public-key credentials: the ssh-agent's keys first, as
// ssh offers them, then identity files, each parsed once.
type authSource struct {
	cfg *Config

	agentOnce sync.Once
	agentConn net.Conn
	agent     agent.ExtendedAgent

	mu   sync.Mutex
	keys map[string]keyFile
}

type keyFile struct {
	signer ssh.Signer
	err    error
}

// agentClient connects to the agent once; no agent is not an error.
func (a *authSource) agentClient() agent.ExtendedAgent {
	a.agentOnce.Do(func() {
		sock := a.cfg.AgentSocket
		if sock == "" {
			sock = os.Getenv("SSH_AUTH_SOCK")
		}
		if sock == "" || sock == "none" {
			return
		}
		c, err := net.Dial("unix", sock)
		if err != nil {
			return
		}
		a.agentConn, a.agent = c, agent.NewClient(c)
	})
	return a.agent
}

// keyFile parses an identity file once.
func (a *authSource) keyFile(path string) keyFile {
	a.mu.Lock()
	defer a.mu.Unlock()
	if k, ok := a.keys[path]; ok {
		return k
	}
	var k keyFile
	pem, err := os.ReadFile(path)
	if err != nil {
		k.err = err
	} else {
		k.signer, k.err = ssh.ParsePrivateKey(pem)
	}
	if a.keys == nil {
		a.keys = map[string]keyFile{}
	}
	a.keys[path] = k
	return k
}

// methods returns the auth methods for s, or one clear sentence saying why
// there are none.
func (a *authSource) methods(s *settings) ([]ssh.AuthMethod, error) {
	var signers []ssh.Signer
	ag := a.agentClient()
	if ag != nil {
		if ss, err := ag.Signers(); err == nil {
			signers = append(signers, ss...)
		}
	}
	for _, path := range s.identities {
		k := a.keyFile(path)
		var pm *ssh.PassphraseMissingError
		switch {
		case k.err == nil:
			signers = append(signers, k.signer)
		case !s.explicitIdentity && errors.Is(k.err, os.ErrNotExist):
			// ~/.ssh defaults that do not exist are simply not offered.
		case errors.As(k.err, &pm) && ag != nil:
			// The agent may hold the decrypted key; it was offered above.
		case errors.As(k.err, &pm):
			return nil, fmt.Errorf("host %s: identity file %s is passphrase-protected; load it into ssh-agent (ssh-add %s)", s.name, path, path)
		default:
			return nil, fmt.Errorf("host %s: identity file %s: %w", s.name, path, k.err)
		}
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("host %s: no SSH key to offer: set identity_file in the inventory or load a key into ssh-agent", s.name)
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, nil
}

func (a *authSource) close() {
	if a.agentConn != nil {
		a.agentConn.Close()
	}
}
