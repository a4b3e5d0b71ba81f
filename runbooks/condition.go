package runbooks

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/probes"
	"github.com/gameday-dev/gameday/targets"
)

// ExprKind says how an Expr is evaluated.
type ExprKind int

// The kinds of condition a runbook can state.
const (
	// ExprCompare is an inventory-style threshold on a reading: "p99 <
	// 50ms", "lag <= 1000", "success >= 99.9%".
	ExprCompare ExprKind = iota
	// ExprStable holds while the agreed master does not change ("master:
	// stable"); allowances may permit some changes.
	ExprStable
	// ExprChanged is met once the agreed master differs from the one seen
	// before the most recent inject step ("changed").
	ExprChanged
	// ExprStatus is met by a reading with that status ("ok", "breach",
	// "error").
	ExprStatus
)

// Expr is a parsed condition on one probe reading. Comparisons use the
// inventory's threshold syntax and the probes' own measurement, so a
// runbook and an inventory mean the same thing by "p99 < 50ms".
type Expr struct {
	Kind      ExprKind
	Threshold targets.Threshold // ExprCompare and ExprStable
	Status    probes.Status     // ExprStatus
}

// exprUse says where a condition appears, which decides the forms allowed.
type exprUse int

const (
	useHypothesis exprUse = iota // thresholds and "master: stable"
	useExpect                    // thresholds, "changed" and statuses
	useAbort                     // thresholds and statuses
)

// parseExpr parses a condition as written in a runbook.
func parseExpr(s string, use exprUse) (Expr, error) {
	text := strings.Join(strings.Fields(s), " ")
	switch text {
	case "changed", "master: changed":
		if use != useExpect {
			return Expr{}, fmt.Errorf("%q can only be expected (in an expect step)", text)
		}
		return Expr{Kind: ExprChanged}, nil
	case string(probes.StatusOK), string(probes.StatusBreach), string(probes.StatusError):
		if use == useHypothesis {
			return Expr{}, fmt.Errorf("a hypothesis needs a threshold such as \"p99 < 50ms\", not the status %q", text)
		}
		return Expr{Kind: ExprStatus, Status: probes.Status(text)}, nil
	}
	t, err := targets.ParseThreshold(text)
	if err != nil {
		return Expr{}, err
	}
	if t.Metric == "master" {
		if use != useHypothesis {
			return Expr{}, fmt.Errorf("%q is a hypothesis condition; here use \"changed\", a status or a threshold", text)
		}
		return Expr{Kind: ExprStable, Threshold: t}, nil
	}
	// A metric the inventory grammar knows but no reading carries would
	// never be met; say so now rather than after a wasted game day.
	if _, _, has := (probes.Threshold{Threshold: t}).Check(probes.Reading{Count: 1, Window: probes.Duration(time.Second)}); !has {
		return Expr{}, fmt.Errorf("condition %q: probes do not measure %s", text, t.Metric)
	}
	return Expr{Kind: ExprCompare, Threshold: t}, nil
}

// String returns the expression as written.
func (e Expr) String() string {
	switch e.Kind {
	case ExprChanged:
		return "changed"
	case ExprStatus:
		return string(e.Status)
	}
	return strings.Join(strings.Fields(e.Threshold.Raw), " ")
}

// check evaluates a comparison or "master: stable" on r. has is false when
// r does not measure the metric. A reading in error measured nothing but
// its failures: "success < 90%" can still be judged from its counts, while
// its lag or p99 fields are zeros that must not read as "lag 0 holds".
func (e Expr) check(r probes.Reading) (holds bool, measured string, has bool) {
	if r.Status == probes.StatusError && !(countsFailures(e.Threshold.Metric) && r.Count > 0) {
		return false, "", false
	}
	return probes.Threshold{Threshold: e.Threshold}.Check(r)
}

// countsFailures reports whether metric is computed from a window's request
// and error counts, which an error reading still has.
func countsFailures(metric string) bool {
	return metric == "success" || metric == "errors"
}

// measuredValue reads the number back from a measured text such as "p99
// 812ms", "p99 1.25s", "success 99.50%" or "lag 1200", in the threshold's
// unit, so that the worst reading can be ranked without re-implementing
// how probes measure each metric.
func measuredValue(measured string) (float64, bool) {
	_, num, ok := strings.Cut(measured, " ")
	if !ok {
		return 0, false
	}
	scale := 1.0
	switch {
	case strings.HasSuffix(num, "ms"):
		num = strings.TrimSuffix(num, "ms")
	case strings.HasSuffix(num, "s"):
		num, scale = strings.TrimSuffix(num, "s"), 1000
	case strings.HasSuffix(num, "%"):
		num = strings.TrimSuffix(num, "%")
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	return v * scale, true
}

// worse reports whether a is a worse value than b for e: larger for an
// upper bound, smaller for a lower bound.
func (e Expr) worse(a, b float64) bool {
	switch e.Threshold.Op {
	case ">", ">=":
		return a < b
	}
	return a > b
}
