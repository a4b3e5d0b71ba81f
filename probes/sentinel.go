package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/timeline"
)

// sentinelChannels are the Sentinel events the probe subscribes to.
// -odown tells when a master Sentinel thought down is reachable again.
var sentinelChannels = []string{"+switch-master", "+sdown", "+odown", "-odown", "+failover-end"}

// switchMemory is how long a +switch-master is remembered for
// de-duplication: every Sentinel publishes the same switch, within
// seconds of each other.
const switchMemory = time.Minute

// sentinelMaster is the sentinel.master probe: which address every
// Sentinel reports for the master, whether they agree, and a live
// subscription to each Sentinel's events so that a switch lands on the
// timeline as it is published. Polling the address is only the fallback
// for a switch the subscription missed.
type sentinelMaster struct {
	svc  targets.Redis
	cfg  Config
	rec  *timeline.Recorder
	opts Options

	// wake makes the poll measure at once after a switch or an +odown, so
	// the verdict changes with the event instead of up to a second later.
	wake chan struct{}

	mu         sync.Mutex
	master     string    // last known agreed master
	lastSwitch time.Time // when the master last changed
	odown      time.Time // when a Sentinel declared the master objectively down (zero: not down)
	switches   []seenSwitch
}

// seenSwitch is one +switch-master and the Sentinels that published it.
type seenSwitch struct {
	old, new string
	at       time.Time
	seenBy   []string
}

func newSentinelMaster(svc targets.Redis, cfg Config, rec *timeline.Recorder, opts Options) *sentinelMaster {
	return &sentinelMaster{svc: svc, cfg: cfg, rec: rec, opts: opts, wake: make(chan struct{}, 1)}
}

// Name, Target and Run implement Probe.
func (p *sentinelMaster) Name() string   { return "sentinel.master" }
func (p *sentinelMaster) Target() string { return p.svc.Name }

// Run measures until ctx is done; see Probe.
func (p *sentinelMaster) Run(ctx context.Context, emit func(Reading)) {
	spw, err := p.svc.SentinelPassword.Resolve()
	if err != nil {
		emit(fill(Reading{Status: StatusError, Detail: oneLine(err)}, p.Name(), p.Target(), p.cfg))
		return
	}
	clients := make([]*redis.SentinelClient, len(p.svc.Sentinels))
	for i, addr := range p.svc.Sentinels {
		clients[i] = redis.NewSentinelClient(&redis.Options{
			Addr: addr, Password: spw, ClientName: p.opts.ClientName,
			MaxRetries: -1, DialTimeout: p.cfg.Timeout, ReadTimeout: p.cfg.Timeout,
			WriteTimeout: p.cfg.Timeout, PoolTimeout: p.cfg.Timeout, ContextTimeoutEnabled: true,
		})
	}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			p.subscribe(ctx, p.svc.Sentinels[i], c)
		})
	}
	defer wg.Wait()
	poll(ctx, p.Name(), p.Target(), p.cfg, func(ctx context.Context) Reading { return p.measure(ctx, clients) }, emit, p.wake)
}

// subscribe listens to one Sentinel's events until ctx is done; go-redis
// re-subscribes by itself after a lost connection.
func (p *sentinelMaster) subscribe(ctx context.Context, addr string, c *redis.SentinelClient) {
	ps := c.Subscribe(ctx, sentinelChannels...)
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelSize(100))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			p.onEvent(time.Now(), addr, m.Channel, m.Payload)
		}
	}
}

// onEvent records one Sentinel event at once, from the subscriber's
// goroutine, so that the timeline has it within milliseconds of its
// publication.
func (p *sentinelMaster) onEvent(at time.Time, sentinel, channel, payload string) {
	f := strings.Fields(payload)
	if channel == "+switch-master" {
		// "<name> <old-ip> <old-port> <new-ip> <new-port>"
		if len(f) < 5 || f[0] != p.svc.Master {
			return
		}
		p.switched(at, sentinel, net.JoinHostPort(f[1], f[2]), net.JoinHostPort(f[3], f[4]))
		return
	}
	// "<type> <name> <ip> <port> [@ <master> <ip> <port>]": keep events of
	// this master and of its replicas and Sentinels.
	if !strings.Contains(" "+payload+" ", " "+p.svc.Master+" ") {
		return
	}
	// "master <name> <ip> <port> ...": the master itself went (or came
	// back from) objectively down.
	if len(f) >= 4 && f[0] == "master" && f[1] == p.svc.Master {
		switch channel {
		case "+odown":
			addr := net.JoinHostPort(f[2], f[3])
			p.mu.Lock()
			// A late +odown about the master a switch already replaced is
			// old news.
			current := p.master == "" || p.master == addr
			if current && p.odown.IsZero() {
				p.odown = at
			}
			p.mu.Unlock()
			if current {
				p.nudge()
			}
		case "-odown":
			p.mu.Lock()
			p.odown = time.Time{}
			p.mu.Unlock()
		}
	}
	if p.rec != nil {
		p.rec.Record(timeline.Event{
			Time: at, Kind: timeline.SentinelEvent, Source: "probe:" + p.Name(),
			Summary: fmt.Sprintf("%s %s %s (from sentinel %s)", p.svc.Name, channel, payload, sentinel),
			Data:    &timeline.SentinelEventData{Service: p.svc.Name, Event: channel, Payload: payload, Sentinel: sentinel},
		})
	}
}

// switched notes a master change seen by sentinel (or by polling, when
// sentinel is "poll") and records it unless it is already on the timeline.
func (p *sentinelMaster) switched(at time.Time, sentinel, old, new string) {
	p.mu.Lock()
	// A duplicate is the latest switch seen again (by another Sentinel)
	// while it still stands; A→B, B→A, A→B are three switches.
	if n := len(p.switches); n > 0 {
		last := &p.switches[n-1]
		if last.old == old && last.new == new && p.master == new && at.Sub(last.at) < switchMemory {
			if !slices.Contains(last.seenBy, sentinel) {
				last.seenBy = append(last.seenBy, sentinel)
			}
			p.mu.Unlock()
			return
		}
	}
	kept := p.switches[:0]
	for _, s := range p.switches {
		if at.Sub(s.at) < switchMemory {
			kept = append(kept, s)
		}
	}
	p.switches = append(kept, seenSwitch{old: old, new: new, at: at, seenBy: []string{sentinel}})
	p.master, p.lastSwitch, p.odown = new, at, time.Time{}
	p.mu.Unlock()
	p.nudge()
	if p.rec == nil {
		return
	}
	how := "sentinel " + sentinel
	if sentinel == "poll" {
		how = "polling (no +switch-master was received)"
	}
	p.rec.Record(timeline.Event{
		Time: at, Kind: timeline.SentinelSwitch, Source: "probe:" + p.Name(),
		Summary: fmt.Sprintf("%s master %s switched %s → %s (seen by %s)", p.svc.Name, p.svc.Master, old, new, how),
		Data:    &timeline.SwitchData{Service: p.svc.Name, MasterName: p.svc.Master, Old: old, New: new, Sentinel: sentinel},
	})
}

// nudge asks the poll loop for a reading now.
func (p *sentinelMaster) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// measure asks every Sentinel for the master's address.
func (p *sentinelMaster) measure(ctx context.Context, clients []*redis.SentinelClient) Reading {
	addrs := make([]string, len(clients))
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			a, err := c.GetMasterAddrByName(ctx, p.svc.Master).Result()
			if errors.Is(err, redis.Nil) {
				err = fmt.Errorf("sentinel %s does not know master %q", p.svc.Sentinels[i], p.svc.Master)
			}
			if err == nil && len(a) == 2 {
				addrs[i] = net.JoinHostPort(a[0], a[1])
			} else if err == nil {
				err = fmt.Errorf("answer %v", a)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	now := time.Now()
	votes := map[string]int{}
	r := Reading{Time: now, Unit: "sentinels", ErrorClasses: map[string]int64{}}
	for i, a := range addrs {
		r.Count++
		if errs[i] != nil {
			r.Errors++
			r.ErrorClasses[classifyRedis(errs[i])]++
			continue
		}
		votes[a]++
	}
	if len(r.ErrorClasses) == 0 {
		r.ErrorClasses = nil
	}
	if len(votes) == 0 {
		r.Status = StatusError
		r.Detail = fmt.Sprintf("no Sentinel of %d answered for master %s", len(clients), p.svc.Master)
		if len(errs) > 0 && errs[0] != nil {
			r.Detail += ": " + oneLine(errs[0])
		}
		return r
	}
	master, agree := majority(votes)
	r.Master, r.Value = master, float64(agree)

	p.mu.Lock()
	prev := p.master
	p.mu.Unlock()
	if prev != "" && master != prev && agree == len(clients) {
		p.switched(now, "poll", prev, master) // a switch the subscriptions missed
	}
	p.mu.Lock()
	if p.master == "" {
		p.master = master
	}
	recent := !p.lastSwitch.IsZero() && now.Sub(p.lastSwitch) < p.cfg.Window
	seen := p.seenBy(master)
	odown := p.odown
	p.mu.Unlock()

	r.Stable = agree == len(clients) && len(votes) == 1 && !recent && odown.IsZero()
	r.Detail = fmt.Sprintf("master %s, %d/%d agree", master, agree, len(clients))
	if len(votes) > 1 {
		r.Detail += fmt.Sprintf(", disagreement: %s", votesText(votes))
	}
	if !odown.IsZero() {
		r.Detail += fmt.Sprintf(", objectively down for %s", now.Sub(odown).Round(time.Millisecond))
	}
	if recent {
		r.Detail += fmt.Sprintf(", switched %s ago (seen by %s)", now.Sub(p.lastSwitch).Round(time.Millisecond), strings.Join(seen, ", "))
	}
	return r
}

// seenBy lists the Sentinels that published the switch to master. Called
// with p.mu held.
func (p *sentinelMaster) seenBy(master string) []string {
	for i := len(p.switches) - 1; i >= 0; i-- {
		if p.switches[i].new == master {
			return p.switches[i].seenBy
		}
	}
	return nil
}

// majority returns the address most Sentinels report (ties by address).
func majority(votes map[string]int) (string, int) {
	best, n := "", 0
	for a, v := range votes {
		if v > n || (v == n && a < best) {
			best, n = a, v
		}
	}
	return best, n
}

func votesText(votes map[string]int) string {
	s := make([]string, 0, len(votes))
	for a, v := range votes {
		s = append(s, fmt.Sprintf("%s×%d", a, v))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}
