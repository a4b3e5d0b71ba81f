package sparkline

import (
	"reflect"
	"testing"
)

func TestRingKeepsTheNewest(t *testing.T) {
	r := NewRing(3)
	for _, v := range []float64{1, 2, 3, 4, 5} {
		r.Push(v)
	}
	if got := r.Last(nil, 10); !reflect.DeepEqual(got, []float64{3, 4, 5}) {
		t.Fatalf("Last = %v, want [3 4 5]", got)
	}
}

func TestBuckets(t *testing.T) {
	tests := map[string]struct {
		push       []float64
		cap        int
		width, per int
		want       []float64
	}{
		"one per cell":          {push: []float64{1, 2, 3}, cap: 10, width: 5, per: 1, want: []float64{1, 2, 3}},
		"width cuts the oldest": {push: []float64{1, 2, 3, 4}, cap: 10, width: 2, per: 1, want: []float64{3, 4}},
		"max of each bucket":    {push: []float64{1, 9, 2, 3, 7, 1}, cap: 10, width: 5, per: 2, want: []float64{9, 3, 7}},
		"partial newest":        {push: []float64{1, 9, 2, 3, 7}, cap: 10, width: 5, per: 2, want: []float64{9, 3, 7}},
		"after wrap":            {push: []float64{5, 5, 5, 1, 2, 3, 4}, cap: 4, width: 5, per: 2, want: []float64{1, 3, 4}},
		"empty":                 {cap: 4, width: 5, per: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := NewRing(tc.cap)
			for _, v := range tc.push {
				r.Push(v)
			}
			if got := r.Buckets(nil, tc.width, tc.per); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Buckets = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := map[string]struct {
		vals  []float64
		width int
		floor float64
		want  string
	}{
		"scaled to the max":    {vals: []float64{0, 4, 8}, width: 3, floor: 1, want: "▁▄█"},
		"right aligned":        {vals: []float64{8}, width: 3, floor: 1, want: "  █"},
		"floor keeps flat low": {vals: []float64{0.1, 0.1}, width: 2, floor: 1, want: "▁▁"},
		"keeps the newest":     {vals: []float64{8, 0, 8}, width: 2, floor: 1, want: "▁█"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Render(tc.vals, tc.width, tc.floor); got != tc.want {
				t.Fatalf("Render = %q, want %q", got, tc.want)
			}
		})
	}
}
