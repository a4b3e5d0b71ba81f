package targets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoAgreedMaster is what SentinelView.Agreed returns (wrapped, in one
// sentence saying why) when the Sentinels do not name one master: too few
// answer, or they disagree.
var ErrNoAgreedMaster = errors.New("no master the Sentinels agree on")

// SentinelAnswer is what one Sentinel says about a master right now.
type SentinelAnswer struct {
	// Sentinel is the Sentinel's address as the inventory lists it.
	Sentinel string
	// Master is the "ip:port" it names for the master ("" when Err is set).
	Master string
	// Replicas are the "ip:port" of the replicas it knows, down ones
	// included (an old master comes back as one).
	Replicas []string
	// Peers counts the other Sentinels it knows.
	Peers int
	// Err is why it gave no answer (without the Sentinel's address).
	Err error
	// Took is how long the Sentinel took to answer (or to fail).
	Took time.Duration
}

// SentinelView is every Sentinel's answer about one Redis deployment, in
// the inventory's order of Sentinels.
type SentinelView struct {
	Service string
	Answers []SentinelAnswer
}

// AskSentinels asks every Sentinel of s, in parallel, which address the
// master has, which replicas and how many other Sentinels it knows. Each
// question is bounded by ctx; a Sentinel that does not answer has Err set.
// It is the one place gameday asks Sentinels for their view: readiness,
// live roles and the lost-write probe all read it.
func AskSentinels(ctx context.Context, s Redis) SentinelView {
	v := SentinelView{Service: s.Name, Answers: make([]SentinelAnswer, len(s.Sentinels))}
	pass, err := s.SentinelPassword.Resolve()
	var wg sync.WaitGroup
	for i, addr := range s.Sentinels {
		v.Answers[i] = SentinelAnswer{Sentinel: addr, Err: err}
		if err != nil {
			continue
		}
		wg.Go(func() {
			v.Answers[i] = askSentinel(ctx, addr, pass, s.Master)
		})
	}
	wg.Wait()
	return v
}

func askSentinel(ctx context.Context, addr, pass, master string) (a SentinelAnswer) {
	a.Sentinel = addr
	start := time.Now()
	defer func() { a.Took = time.Since(start) }()
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, Password: pass, MaxRetries: -1, DialerRetries: 1,
		DisableIdentity: true, ContextTimeoutEnabled: true, PoolSize: 1})
	defer c.Close()
	got, err := c.GetMasterAddrByName(ctx, master).Result()
	switch {
	case errors.Is(err, redis.Nil):
		a.Err = fmt.Errorf("sentinel knows no master named %q", master)
		return a
	case err != nil:
		a.Err = fmt.Errorf("SENTINEL get-master-addr-by-name: %w", err)
		return a
	case len(got) != 2:
		a.Err = fmt.Errorf("SENTINEL get-master-addr-by-name answered %q", got)
		return a
	}
	a.Master = net.JoinHostPort(got[0], got[1])
	replicas, err := c.Replicas(ctx, master).Result()
	if err != nil {
		a.Err = fmt.Errorf("SENTINEL replicas: %w", err)
		return a
	}
	for _, r := range replicas {
		a.Replicas = append(a.Replicas, net.JoinHostPort(r["ip"], r["port"]))
	}
	peers, err := c.Sentinels(ctx, master).Result()
	if err != nil {
		a.Err = fmt.Errorf("SENTINEL sentinels: %w", err)
		return a
	}
	a.Peers = len(peers)
	return a
}

// Agreed returns the master the Sentinels agree on: a majority of the
// inventory's Sentinels answered and every one that answered names the
// same master. Otherwise the error (matching ErrNoAgreedMaster) says in
// one sentence who said what, so a caller can refuse rather than guess: a
// Sentinel cut off from its peers keeps naming the old master.
func (v SentinelView) Agreed() (string, error) {
	var masters []string // in the order the inventory lists their Sentinels
	votes := map[string][]string{}
	var failed []string
	for _, a := range v.Answers {
		if a.Err != nil {
			failed = append(failed, a.Sentinel+": "+a.Err.Error())
			continue
		}
		if votes[a.Master] == nil {
			masters = append(masters, a.Master)
		}
		votes[a.Master] = append(votes[a.Master], a.Sentinel)
	}
	answered := len(v.Answers) - len(failed)
	switch {
	case len(v.Answers) == 0:
		return "", noMaster("redis/%s lists no Sentinel", v.Service)
	case len(masters) > 1:
		parts := make([]string, len(masters))
		for i, m := range masters {
			parts[i] = fmt.Sprintf("%s names %s", strings.Join(votes[m], " and "), m)
		}
		return "", noMaster("the Sentinels of redis/%s disagree on the master (%s)", v.Service, strings.Join(parts, "; "))
	case answered < len(v.Answers)/2+1:
		return "", noMaster("only %d of %d Sentinels of redis/%s answered, too few to trust (%s)",
			answered, len(v.Answers), v.Service, strings.Join(failed, "; "))
	}
	return masters[0], nil
}

// noMasterError is one sentence saying why there is no agreed master; it
// matches ErrNoAgreedMaster.
type noMasterError struct{ msg string }

func noMaster(format string, args ...any) error {
	return &noMasterError{msg: fmt.Sprintf(format, args...)}
}

// Error is the sentence.
func (e *noMasterError) Error() string { return e.msg }

// Is makes it match ErrNoAgreedMaster.
func (e *noMasterError) Is(target error) bool { return target == ErrNoAgreedMaster }

// ReplicasOf returns the replicas that the Sentinels naming master know
// (their union, in the order first seen).
func (v SentinelView) ReplicasOf(master string) []string {
	var out []string
	for _, a := range v.Answers {
		if a.Err != nil || a.Master != master {
			continue
		}
		for _, r := range a.Replicas {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// InfoField returns one "key:value" field of a Redis INFO reply ("" when
// it is absent).
func InfoField(info, key string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			return v
		}
	}
	return ""
}
