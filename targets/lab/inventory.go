package lab

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab/labapi"
)

// Names of the lab's services in its inventory.
const (
	RedisService = "lab-redis"
	KafkaService = "lab-kafka"
)

// buildInventory describes every lab node as a host, and the two services.
func (l *Lab) buildInventory() *targets.Inventory {
	inv := &targets.Inventory{
		Path: l.InventoryPath(),
		Name: "gameday lab",
		Lab:  &targets.Lab{Dir: l.opts.Dir, Toxiproxy: l.px.addr},
	}
	if l.ctl != nil {
		inv.Lab.Control = l.ctl.addr
	}
	if len(l.redis) > 0 {
		master := ""
		if h := l.lastHealth(); h.Master != "" {
			master = h.Master
		}
		svc := targets.Redis{
			Name:   RedisService,
			Master: MasterName,
			Probes: targets.Probes{
				"latency": {Thresholds: []string{"p99 < 50ms"}},
				"master":  {Thresholds: []string{"master: stable"}},
			},
		}
		for _, c := range l.redis {
			role := "replica"
			if c.proxyAddr == master {
				role = "master"
			}
			inv.Hosts = append(inv.Hosts, l.host(c, labapi.KindRedis, role))
			svc.Hosts = append(svc.Hosts, c.name)
		}
		for _, c := range l.sentinels {
			inv.Hosts = append(inv.Hosts, l.host(c, labapi.KindSentinel))
			svc.Hosts = append(svc.Hosts, c.name)
			svc.Sentinels = append(svc.Sentinels, c.proxyAddr)
		}
		inv.Services.Redis = append(inv.Services.Redis, svc)
	}
	if l.kafka != nil {
		svc := targets.Kafka{
			Name:    KafkaService,
			Brokers: l.kafka.addrs,
			Topics:  []string{KafkaTopic},
			Groups:  []string{KafkaGroup},
			Probes: targets.Probes{
				"lag": {Thresholds: []string{"lag <= 1000"}},
			},
		}
		for i, addr := range l.kafka.addrs {
			name := fmt.Sprintf("kafka-%d", i+1)
			inv.Hosts = append(inv.Hosts, targets.Host{
				Name:    name,
				Address: "127.0.0.1",
				Tags:    []string{"lab"},
				Roles:   []string{labapi.KindKafka},
				Lab: &targets.LabNode{
					Kind:    labapi.KindKafka,
					PID:     os.Getpid(),
					DataDir: filepath.Join(l.opts.Dir, name),
					Listen:  addr,
				},
			})
			svc.Hosts = append(svc.Hosts, name)
		}
		inv.Services.Kafka = append(inv.Services.Kafka, svc)
	}
	if l.full != nil {
		l.full.addTo(inv)
	}
	l.addPrometheus(inv)
	return inv
}

func (l *Lab) host(c *child, roles ...string) targets.Host {
	pid, _ := c.status()
	return targets.Host{
		Name:    c.name,
		Address: c.ip,
		Tags:    []string{"lab"},
		Roles:   roles,
		Lab: &targets.LabNode{
			Kind:         c.kind,
			PID:          pid,
			DataDir:      c.dataDir,
			Proxy:        c.proxy,
			Listen:       c.listen,
			FaketimeFile: c.faketime,
		},
	}
}

// writeInventory writes inv as YAML, mode 0600, replacing any old file
// atomically so a reader never sees half an inventory.
func writeInventory(path string, inv *targets.Inventory) error {
	b, err := yaml.Marshal(inv)
	if err != nil {
		return fmt.Errorf("encode lab inventory: %w", err)
	}
	head := []byte("# Written by `gameday lab up`; rewritten at every lab start.\n")
	return writeFileAtomic(path, append(head, b...))
}

// writeFileAtomic writes data to a temporary file in the same dir, syncs
// it, and renames it over path (mode 0600).
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
