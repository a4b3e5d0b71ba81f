package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
	"net"
	"net/http"
	"os"
	"sort"
	"time"
)

// Nodes reports every lab node's process state and network state.
func (l *Lab) Nodes() []labapi.NodeStatus {
	var out []labapi.NodeStatus
	for _, c := range append(append([]*child{}, l.redis...), l.sentinels...) {
		pid, st := c.status()
		n := labapi.NodeStatus{Name: c.name, Kind: c.kind, PID: pid, State: st, Listen: c.listen, Proxy: c.proxy, ProxyAddr: c.proxyAddr, FaketimeFile: c.faketime}
		if c.proxy != "" {
			on, _ := l.px.enabled(c.proxy)
			n.Cut = !on
			n.Toxics, _ = l.px.toxics(c.proxy)
		}
		if c.relay != nil {
			for _, ip := range c.relay.blockedIPs() {
				for _, p := range l.nodes() {
					if p.ip == ip {
						n.Blocked = append(n.Blocked, p.name)
					}
				}
			}
			sort.Strings(n.Blocked)
		}
		out = append(out, n)
	}
	if l.kafka != nil {
		for i, addr := range l.kafka.addrs {
			out = append(out, labapi.NodeStatus{Name: fmt.Sprintf("kafka-%d", i+1), Kind: labapi.KindKafka, PID: os.Getpid(), State: labapi.StateRunning, Listen: addr, Cut: l.kafka.gates[i].isCut()})
		}
	}
	if l.full != nil {
		out = append(out, l.full.status()...)
	}
	return out
}

// Health asks the Sentinels, the nodes and the brokers how the lab is.
func (l *Lab) Health(ctx context.Context) labapi.Health {
	var h labapi.Health
	if len(l.redis) > 0 {
		rh := redisHealth(ctx, l.sentinels, l.redis, 2)
		h.Redis = &rh
	}
	if l.kafka != nil {
		lag, _, err := l.kafka.lag(ctx)
		if err != nil {
			h.KafkaError = err.Error()
		} else {
			h.KafkaLag = &lag
		}
	}
	return h
}

// KafkaLag is the lab consumer group's total lag on the lab topic.
func (l *Lab) KafkaLag(ctx context.Context) (int64, error) {
	if l.kafka == nil {
		return 0, errors.New("the lab runs without Kafka")
	}
	lag, _, err := l.kafka.lag(ctx)
	return lag, err
}

// controlServer is the lab's HTTP control API on loopback. Every local
// user can connect to loopback, so every request must carry the token the
// lab wrote, 0600, into its dir (labapi.TokenFile).
type controlServer struct {
	http      *http.Server
	addr      string
	tokenPath string
}

func startControl(l *Lab) (*controlServer, error) {
	token, err := labapi.NewToken()
	if err != nil {
		return nil, err
	}
	// The token is on disk before the address is anywhere (inventory,
	// ledger), so no client ever meets this lab without a token to send.
	tokenPath := labapi.TokenPath(l.opts.Dir)
	if err := writeFileAtomic(tokenPath, []byte(token+"\n")); err != nil {
		return nil, fmt.Errorf("write the lab control token: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the lab control API: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/do", func(w http.ResponseWriter, r *http.Request) {
		var req labapi.DoRequest
		if !decode(w, r, &req) {
			return
		}
		writeJSON(w, http.StatusOK, labapi.DoResponse{Results: l.Do(req.Actions, req.KeepGoing)})
	})
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, l.Nodes())
	})
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		writeJSON(w, http.StatusOK, l.Health(ctx))
	})
	mux.Handle("GET /metrics", l.metricsHandler())
	mux.HandleFunc("POST /v1/guards", func(w http.ResponseWriter, r *http.Request) {
		var g labapi.Guard
		if !decode(w, r, &g) {
			return
		}
		armed, err := l.guards.arm(l, g)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, armed)
	})
	mux.HandleFunc("GET /v1/guards", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, l.guards.list())
	})
	mux.HandleFunc("POST /v1/guards/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
		if !l.guards.stopFlap(r.PathValue("id")) {
			writeError(w, http.StatusNotFound, fmt.Errorf("no flapping guard %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /v1/guards/{id}", func(w http.ResponseWriter, r *http.Request) {
		found, err := l.guards.cancel(r.PathValue("id"))
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		if !found {
			writeError(w, http.StatusNotFound, fmt.Errorf("no armed guard %q", r.PathValue("id")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	hs := &http.Server{Handler: requireToken(token, tokenPath, mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &controlServer{http: hs, addr: ln.Addr().String(), tokenPath: tokenPath}, nil
}

// requireToken refuses, before anything is decoded or run, a request that
// does not carry the lab's token.
func requireToken(token, path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !labapi.Authorized(r, token) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, fmt.Errorf("the lab control API needs the token from %s (header Authorization: Bearer TOKEN)", path))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("request body: %w", err))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, labapi.ErrorBody{Error: err.Error()})
}

func (s *controlServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	_ = os.Remove(s.tokenPath)
}

// Client returns a control API client for this lab, as its inventory
// describes it (address and dir, hence token).
func (l *Lab) Client() *labapi.Client {
	return labapi.NewClient(l.inv.Lab.Control, l.inv.Lab.Dir)
}
