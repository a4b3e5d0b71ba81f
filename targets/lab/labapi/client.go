package labapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Client talks to a running lab's control API.
type Client struct {
	addr string
	dir  string
	http *http.Client
}

// NewClient returns a client for the control API at addr (host:port, as
// in the inventory's lab.control) of the lab whose dir is dir (the
// inventory's lab.dir, or a ledger entry's): the client reads the lab's
// token from there at every call, so it follows a lab restarted in the
// same dir.
func NewClient(addr, dir string) *Client {
	return &Client{addr: addr, dir: dir, http: &http.Client{}}
}

// defaultCallTimeout bounds a call whose context has no deadline. A call
// with one gets all of it: starting a JVM node on a loaded machine takes
// longer than any fixed bound (a broker's start took over 30 s with six
// JVMs on two cores).
const defaultCallTimeout = 30 * time.Second

// Do runs actions in order and returns one result per action. Unless
// keepGoing, the first failure skips the rest. The error is for the call
// itself; failed actions are in the results (see FirstError).
func (c *Client) Do(ctx context.Context, keepGoing bool, actions ...Action) ([]Result, error) {
	var resp DoResponse
	err := c.call(ctx, http.MethodPost, "/v1/do", DoRequest{Actions: actions, KeepGoing: keepGoing}, &resp)
	return resp.Results, err
}

// Nodes lists the lab's nodes and their states.
func (c *Client) Nodes(ctx context.Context) ([]NodeStatus, error) {
	var out []NodeStatus
	return out, c.call(ctx, http.MethodGet, "/v1/nodes", nil, &out)
}

// Health reports the lab's current health.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var out Health
	return out, c.call(ctx, http.MethodGet, "/v1/health", nil, &out)
}

// ArmGuard asks the lab to run actions after ttl unless cancelled; the
// same id re-arms. It returns the guard with its expiry.
func (c *Client) ArmGuard(ctx context.Context, id string, ttl time.Duration, actions ...Action) (Guard, error) {
	return c.Arm(ctx, Guard{ID: id, TTL: Duration(ttl), Actions: actions})
}

// Arm arms g (a flapping guard starts toggling at once) and returns it
// with its expiry.
func (c *Client) Arm(ctx context.Context, g Guard) (Guard, error) {
	var out Guard
	err := c.call(ctx, http.MethodPost, "/v1/guards", g, &out)
	return out, err
}

// StopFlap ends the toggling of guard id, healed, and returns once no
// toggle runs; the guard stays armed. A guard that does not flap (or is
// gone) has nothing to stop.
func (c *Client) StopFlap(ctx context.Context, id string) error {
	err := c.call(ctx, http.MethodPost, "/v1/guards/"+url.PathEscape(id)+"/stop", nil, nil)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// CancelGuard drops a guard without running it. An unknown id is not an
// error: the guard may have fired or been cancelled already.
func (c *Client) CancelGuard(ctx context.Context, id string) error {
	err := c.call(ctx, http.MethodDelete, "/v1/guards/"+url.PathEscape(id), nil, nil)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// Guards lists the armed guards.
func (c *Client) Guards(ctx context.Context) ([]Guard, error) {
	var out []Guard
	return out, c.call(ctx, http.MethodGet, "/v1/guards", nil, &out)
}

// HTTPError is a non-2xx answer of the control API.
type HTTPError struct {
	Status  int
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("lab control API: %d %s", e.Status, e.Message)
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	token, err := readToken(c.dir)
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCallTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.addr+path, body)
	if err != nil {
		return fmt.Errorf("lab control API %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	setToken(req, token)
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("the lab control API at %s did not answer %s %s in time: %w", c.addr, method, path, err)
		}
		return fmt.Errorf("reach the lab control API (is `gameday lab up` running?): %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("read lab control API answer: %w", err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return &RefusedError{Addr: c.addr, Dir: c.dir, Sent: token != ""}
	}
	if resp.StatusCode/100 != 2 {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = http.StatusText(resp.StatusCode)
		}
		return &HTTPError{Status: resp.StatusCode, Message: eb.Error}
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode lab control API answer: %w", err)
	}
	return nil
}

// RefusedError is a 401 of the control API, said in one sentence: which
// token the lab wanted and why the one sent (if any) was not it.
type RefusedError struct {
	Addr, Dir string
	// Sent is whether the request carried a token.
	Sent bool
}

func (e *RefusedError) Error() string {
	head := "the lab control API at " + e.Addr + " refused the request: it needs the token from "
	switch {
	case e.Dir == "":
		return head + "its lab dir's " + TokenFile + ", and no lab dir is known here"
	case !e.Sent:
		return head + TokenPath(e.Dir) + ", which does not exist (is that the dir of the lab at " + e.Addr + "?)"
	default:
		return head + TokenPath(e.Dir) + ", and the token there does not match (is that the dir of the lab at " + e.Addr + "?)"
	}
}
