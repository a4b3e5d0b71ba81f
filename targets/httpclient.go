package targets

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// TLS configures how gameday verifies (and, with a client certificate,
// identifies itself to) an HTTPS server: a Prometheus server or an HTTP
// probe's endpoint.
type TLS struct {
	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// CertFile and KeyFile are a client certificate and its key (mutual
	// TLS); both or neither.
	CertFile string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	// ServerName overrides the name the server's certificate must carry
	// (an address that is not in the certificate).
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	// InsecureSkipVerify turns certificate verification off: for a lab
	// with a self-signed certificate, never for a real cluster.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
}

// BasicAuth is a user name and a password reference for HTTP basic
// authentication.
type BasicAuth struct {
	Username string    `yaml:"username" json:"username"`
	Password SecretRef `yaml:"password" json:"password" yamldoc:"secret"`
}

// Config builds the tls.Config t describes, reading its files now; a nil
// t gives nil (Go's defaults: the system's CAs).
func (t *TLS) Config() (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificate in it", t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls cert_file/key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// HTTPTransport returns a transport speaking TLS as t says, with dials
// and TLS handshakes bounded by timeout, connections kept alive between
// probe requests, and no proxy from the environment: a probe measures the
// path to the service, and the inventory says what that path is.
func HTTPTransport(t *TLS, timeout time.Duration) (*http.Transport, error) {
	tc, err := t.Config()
	if err != nil {
		return nil, err
	}
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: timeout,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}, nil
}

// headerTransport adds fixed headers (resolved secrets among them) to
// every request. The request is cloned, as a RoundTripper must not modify
// the caller's.
type headerTransport struct {
	next    http.RoundTripper
	headers http.Header
	basic   *[2]string // user, password
}

// RoundTrip implements http.RoundTripper.
func (h *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range h.headers {
		req.Header[k] = vs
	}
	if h.basic != nil {
		req.SetBasicAuth(h.basic[0], h.basic[1])
	}
	return h.next.RoundTrip(req)
}

// withAuth wraps next so that every request carries a bearer token, basic
// auth or other headers; secrets are resolved once, here, and errors name
// the reference, never the value.
func withAuth(next http.RoundTripper, bearer SecretRef, basic *BasicAuth, headers map[string]string) (http.RoundTripper, error) {
	h := &headerTransport{next: next, headers: http.Header{}}
	if !bearer.IsZero() {
		tok, err := bearer.Resolve()
		if err != nil {
			return nil, fmt.Errorf("bearer_token: %w", err)
		}
		h.headers.Set("Authorization", "Bearer "+tok)
	}
	if basic != nil {
		pw, err := basic.Password.Resolve()
		if err != nil {
			return nil, fmt.Errorf("basic_auth password: %w", err)
		}
		h.basic = &[2]string{basic.Username, pw}
	}
	for name, v := range headers {
		val, err := HeaderValue(name, v)
		if err != nil {
			return nil, err
		}
		h.headers.Set(name, val)
	}
	if len(h.headers) == 0 && h.basic == nil {
		return next, nil
	}
	return h, nil
}

// HeaderValue resolves one configured header value: a secret reference
// (env:NAME, file:PATH) is read, anything else is the value itself.
func HeaderValue(name, v string) (string, error) {
	ref := SecretRef(v)
	if isSecretRef(v) {
		s, err := ref.Resolve()
		if err != nil {
			return "", fmt.Errorf("header %s: %w", name, err)
		}
		return s, nil
	}
	if sensitiveHeader(name) {
		// Loading refuses this; a hand-built inventory is refused here.
		return "", fmt.Errorf("header %s: %w", name, errInlineSecret)
	}
	return v, nil
}

// isSecretRef reports whether v is written as a secret reference.
func isSecretRef(v string) bool {
	return strings.HasPrefix(v, secretEnv) || strings.HasPrefix(v, secretFile)
}

// sensitiveHeader reports whether a header carries credentials by its
// name, so that its value must be a secret reference, never inline.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "api-key", "apikey", "auth", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
