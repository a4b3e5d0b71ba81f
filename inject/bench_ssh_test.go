package inject_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/inject"
	"github.com/gameday-dev/gameday/inject/nshost"
	"github.com/gameday-dev/gameday/inject/sshx"
	"github.com/gameday-dev/gameday/targets"
)

// timedRunner runs scripts through the SSH pool and adds up, per host, the
// time its scripts took: a host's share of an arm or a revert.
type timedRunner struct {
	pool *sshx.Pool
	mu   sync.Mutex
	per  map[string]time.Duration
}

func (r *timedRunner) Run(ctx context.Context, h targets.Host, script string) (inject.Result, error) {
	start := time.Now()
	res, err := r.pool.Run(ctx, h, script)
	took := time.Since(start)
	r.mu.Lock()
	r.per[h.Name] += took
	r.mu.Unlock()
	return inject.Result(res), err
}

func (r *timedRunner) Close() error { return r.pool.Close() }

// take returns the per-host times since the last take, in milliseconds.
func (r *timedRunner) take() []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ms []float64
	for _, d := range r.per {
		ms = append(ms, float64(d)/float64(time.Millisecond))
	}
	r.per = map[string]time.Duration{}
	return ms
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkFanoutPartition20 arms one partition on 20 namespace hosts in
// parallel over pooled SSH connections, then reverts it; it reports the
// wall time of each and the median host's share.
func BenchmarkFanoutPartition20(b *testing.B) {
	bed := nshost.New(b, 20, nshost.Options{})
	inv := bed.Inventory()
	var names []string
	for _, h := range inv.Hosts {
		names = append(names, h.Name)
	}
	runner := &timedRunner{pool: sshx.New(inv, sshx.Config{}), per: map[string]time.Duration{}}
	m := newManager(b, inv, inject.WithRunner(runner))
	req := inject.Request{Kind: "partition", Hosts: names, TTL: 5 * time.Minute,
		Params: map[string]string{"peers": "192.0.2.10", "direction": "both"}}
	ctx := context.Background()
	// Connections are pooled: open them before timing, as a session would
	// have them open by the time the operator arms anything.
	for _, o := range runner.pool.RunAll(ctx, inv.Hosts, "true") {
		if o.Err != nil {
			b.Fatalf("warm-up: %v", o.Err)
		}
	}
	runner.take()

	var armWall, revertWall time.Duration
	var armHost, revertHost []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		a, err := m.Arm(ctx, req)
		if err != nil {
			b.Fatalf("Arm: %v", err)
		}
		mid := time.Now()
		armHost = append(armHost, runner.take()...)
		if _, err := m.Revert(ctx, a.ID); err != nil {
			b.Fatalf("Revert: %v", err)
		}
		revertWall += time.Since(mid)
		armWall += mid.Sub(start)
		revertHost = append(revertHost, runner.take()...)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(armWall.Milliseconds())/n, "arm-wall-ms")
	b.ReportMetric(float64(revertWall.Milliseconds())/n, "revert-wall-ms")
	b.ReportMetric(median(armHost), "arm-host-median-ms")
	b.ReportMetric(median(revertHost), "revert-host-median-ms")
	for _, h := range bed.Hosts {
		if hasGamedayRules(bed, h) {
			b.Fatalf("%s still has gameday's rules after the last revert", h.Name)
		}
	}
}

// BenchmarkRevertAllCold20 measures what an operator waits for after a
// crash: a fresh `gameday revert --all` process (start, ledger, new SSH
// connections, every revert, verify and guard cancel) with 20 faults armed,
// one on each of 20 namespace hosts.
func BenchmarkRevertAllCold20(b *testing.B) {
	bed := nshost.New(b, 20, nshost.Options{})
	inv := bed.Inventory()
	invPath := bed.WriteInventory()
	state := b.TempDir()
	g := &gamedayCLI{t: b, bin: buildGameday(b), env: append(os.Environ(), "XDG_STATE_HOME="+state)}
	m, err := inject.NewManager(inv, nil, filepath.Join(state, "gameday", "ledger.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var wg sync.WaitGroup
		for _, h := range inv.Hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := m.Arm(ctx, inject.Request{Kind: "partition", Hosts: []string{h.Name}, TTL: 5 * time.Minute,
					Params: map[string]string{"peers": "192.0.2.10"}}); err != nil {
					b.Errorf("Arm on %s: %v", h.Name, err)
				}
			}()
		}
		wg.Wait()
		b.StartTimer()
		start := time.Now()
		if _, out, err := g.run(0, "revert", "--all", "-i", invPath); err != nil {
			b.Fatalf("gameday revert --all: %v\n%s", err, out)
		}
		wall += time.Since(start)
	}
	b.StopTimer()
	for _, h := range bed.Hosts {
		if hasGamedayRules(bed, h) {
			b.Fatalf("%s still has gameday's rules after revert --all", h.Name)
		}
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "revert-all-wall-ms")
}

// BenchmarkArmCold measures a fresh `gameday inject partition` process
// arming one fault on every host of a bed of 100 namespace hosts (50 with
// GAMEDAY_BENCH_HOSTS=50), connections included: ledger, detect, guard,
// inject and verify everywhere. Besides the wall time it reports the CPU
// the gameday process used and the CPU the hosts' sshd (their connection
// and session processes and the scripts those ran) used, per host: on this
// machine both share the same cores, so the wall time is mostly their sum
// over the cores, while on real hosts each host's share runs on the host.
func BenchmarkArmCold(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("GAMEDAY_BENCH_HOSTS")); err == nil && v > 0 {
		n = v
	}
	bed := nshost.New(b, n, nshost.Options{})
	invPath := bed.WriteInventory()
	state := b.TempDir()
	g := &gamedayCLI{t: b, bin: buildGameday(b), env: append(os.Environ(), "XDG_STATE_HOME="+state)}
	var wall, self, hosts time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := sshdCPU(bed)
		b.StartTimer()
		start := time.Now()
		cmd, out := g.start(0, "inject", "partition", "--host", "tag:nshost", "--param", "peers=192.0.2.10", "--ttl", "5m", "-i", invPath)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("gameday inject on %d hosts: %v\n%s", n, err, out)
		}
		wall += time.Since(start)
		b.StopTimer()
		self += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		// The hosts' connection processes end with gameday's connections
		// and are then counted in their sshd's children's time.
		hosts += settledSSHDCPU(bed, before)
		if _, out, err := g.run(0, "revert", "--all", "-i", invPath); err != nil {
			b.Fatalf("gameday revert --all: %v\n%s", err, out)
		}
		b.StartTimer()
	}
	per := float64(b.N)
	b.ReportMetric(float64(wall.Milliseconds())/per, "arm-wall-ms")
	b.ReportMetric(float64(self.Milliseconds())/per, "gameday-cpu-ms")
	b.ReportMetric(float64(hosts.Milliseconds())/per, "hosts-sshd-cpu-ms")
	b.ReportMetric(float64(n), "hosts")
}

// sshdCPU adds up the CPU time of the bed's listening sshd processes and
// of their children that have ended (connections, sessions, scripts).
func sshdCPU(bed *nshost.Bed) time.Duration {
	var ticks int64
	for _, h := range bed.Hosts {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(h.SSHDPid()) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		// After the command: utime, stime, cutime and cstime are the
		// 12th to 15th fields (proc(5)), in clock ticks of 10 ms.
		for _, i := range []int{11, 12, 13, 14} {
			if i < len(f) {
				n, _ := strconv.ParseInt(f[i], 10, 64)
				ticks += n
			}
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// settledSSHDCPU waits until the bed's sshd CPU stops growing (its ended
// connections reaped, at most 2 s) and returns what it grew since before.
func settledSSHDCPU(bed *nshost.Bed, before time.Duration) time.Duration {
	last := sshdCPU(bed)
	for i := 0; i < 20; i++ {
		time.Sleep(100 * time.Millisecond)
		now := sshdCPU(bed)
		if now == last {
			break
		}
		last = now
	}
	return last - before
}
