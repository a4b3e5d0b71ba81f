package nshost

import (
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"

	"github.com/gameday-dev/gameday/targets"
)

// WriteInventory writes Inventory() as inventory.yaml in the bed's
// directory (0600) and returns its path, for tests that run the gameday
// binary with -i.
func (b *Bed) WriteInventory() string {
	b.tb.Helper()
	return b.writeInventory(b.Inventory())
}

// writeInventory writes inv as inventory.yaml in the bed's directory.
func (b *Bed) writeInventory(inv *targets.Inventory) string {
	b.tb.Helper()
	data, err := yaml.Marshal(inv)
	if err != nil {
		b.tb.Fatalf("nshost: inventory: %v", err)
	}
	path := filepath.Join(b.Dir, "inventory.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.tb.Fatalf("nshost: inventory: %v", err)
	}
	return path
}
