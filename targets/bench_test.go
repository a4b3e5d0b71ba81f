package targets

import (
	"os"
	"testing"
)

// BenchmarkParse measures loading the documented example inventory
// (decode, validation and positions).
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("../examples/inventory.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("inventory.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBroken measures a file full of problems, where every
// problem also costs a did-you-mean search.
func BenchmarkParseBroken(b *testing.B) {
	data, err := os.ReadFile("testdata/broken/probes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("inventory.yaml", data); err == nil {
			b.Fatal("want problems")
		}
	}
}

// BenchmarkSelect measures resolving a mixed selector on the example.
func BenchmarkSelect(b *testing.B) {
	inv, err := Load("../examples/inventory.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := inv.Select("kafka-1,tag:az-b,role:sentinel"); err != nil {
			b.Fatal(err)
		}
	}
}
