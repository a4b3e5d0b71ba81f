package lab_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gameday-dev/gameday/targets"
	"github.com/gameday-dev/gameday/targets/lab"
	"github.com/gameday-dev/gameday/targets/lab/labtest"
)

func TestLabStartsGreen(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := l.Health(ctx)
	if h.Redis == nil || !h.Redis.Green() {
		t.Fatalf("redis not green: %+v", h.Redis)
	}
	if h.KafkaLag == nil {
		t.Fatalf("kafka lag unknown: %s", h.KafkaError)
	}
	t.Logf("master %s, lag %d", h.Redis.Master, *h.KafkaLag)
}

func TestInventoryLoads(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	inv, err := targets.Load(l.InventoryPath())
	if err != nil {
		t.Fatalf("the lab's inventory does not load: %v", err)
	}
	if len(inv.Hosts) != 9 {
		t.Fatalf("hosts = %d, want 9", len(inv.Hosts))
	}
	if inv.Lab == nil || inv.Lab.Control == "" {
		t.Fatalf("inventory has no lab control address: %+v", inv.Lab)
	}
	st, err := os.Stat(l.InventoryPath())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("inventory mode = %v, %v; want 0600", st.Mode(), err)
	}
}
