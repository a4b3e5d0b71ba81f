package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"time"
)

// NodeStatus is one lab node as GET /v1/nodes reports it.
type NodeStatus struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	PID   int    `json:"pid,omitempty"`
	State string `json:"state"`
	// Listen is the node's own address; Proxy and ProxyAddr its network.
	Listen    string `json:"listen,omitempty"`
	Proxy     string `json:"proxy,omitempty"`
	ProxyAddr string `json:"proxy_addr,omitempty"`
	// Cut is set while the node is partitioned (proxy disabled or broker
	// cut).
	Cut bool `json:"cut,omitempty"`
	// Blocked names the peers whose connections this node refuses (a
	// peer-specific or outgoing cut).
	Blocked []string `json:"blocked,omitempty"`
	// Toxics names the toxics on the node's proxy.
	Toxics []string `json:"toxics,omitempty"`
	// FaketimeFile is the node's libfaketime control file, if any.
	FaketimeFile string `json:"faketime_file,omitempty"`
}

// Nodes reports every lab node's process state and network state.
func (l *Lab) Nodes() []NodeStatus {
	var out []NodeStatus
	for _, c := range append(append([]*child{}, l.redis...), l.sentinels...) {
		pid, st := c.status()
		n := NodeStatus{Name: c.name, Kind: c.kind, PID: pid, State: st, Listen: c.listen, Proxy: c.proxy, ProxyAddr: c.proxyAddr, FaketimeFile: c.faketime}
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
			out = append(out, NodeStatus{Name: fmt.Sprintf("kafka-%d", i+1), Kind: KindKafka, PID: os.Getpid(), State: StateRunning, Listen: addr, Cut: l.kafka.gates[i].isCut()})
		}
	}
	if l.full != nil {
		out = append(out, l.full.status()...)
	}
	return out
}

// Health is the lab's current health, as GET /v1/health reports it.
type Health struct {
	Redis *RedisHealth `json:"redis,omitempty"`
	// KafkaLag is the group's total lag; KafkaError says why it is unknown.
	KafkaLag   *int64 `json:"kafka_lag,omitempty"`
	KafkaError string `json:"kafka_error,omitempty"`
}

// Health asks the Sentinels, the nodes and the brokers how the lab is.
func (l *Lab) Health(ctx context.Context) Health {
	var h Health
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

// controlServer is the lab's HTTP control API on loopback.
type controlServer struct {
	http *http.Server
	addr string
}

// DoRequest is the body of POST /v1/do.
type DoRequest struct {
	Actions []Action `json:"actions"`
	// KeepGoing runs every action even after one fails (for reverts).
	KeepGoing bool `json:"keep_going,omitempty"`
}

// DoResponse is the answer of POST /v1/do.
type DoResponse struct {
	Results []Result `json:"results"`
}

func startControl(l *Lab) (*controlServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the lab control API: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/do", func(w http.ResponseWriter, r *http.Request) {
		var req DoRequest
		if !decode(w, r, &req) {
			return
		}
		writeJSON(w, http.StatusOK, DoResponse{Results: l.Do(req.Actions, req.KeepGoing)})
	})
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, l.Nodes())
	})
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		writeJSON(w, http.StatusOK, l.Health(ctx))
	})
	mux.HandleFunc("POST /v1/guards", func(w http.ResponseWriter, r *http.Request) {
		var g Guard
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
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &controlServer{http: hs, addr: ln.Addr().String()}, nil
}

// errorBody is how the API reports a request it could not serve.
type errorBody struct {
	Error string `json:"error"`
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
	writeJSON(w, code, errorBody{Error: err.Error()})
}

func (s *controlServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
}
