package probes

import "sort"

// rows are the targets a probe reports on besides its own: the series of
// a PromQL query, each a row with its own verdict and its own breach and
// recovery events. The probe bounds how many there are.
type rows map[string]*row

type row struct {
	judge  *judge
	latest Reading
}

// emit judges r with a judge of its own target's, made like main, and
// returns it judged.
func (rs *rows) emit(r Reading, main *judge) Reading {
	if *rs == nil {
		*rs = rows{}
	}
	w := (*rs)[r.Target]
	if w == nil {
		w = &row{judge: &judge{thresholds: main.thresholds, rec: main.rec, last: StatusPending}}
		(*rs)[r.Target] = w
	}
	w.latest = w.judge.apply(r)
	return w.latest
}

// appendLatest appends the latest Reading of every row, by target.
func (rs rows) appendLatest(out []Reading) []Reading {
	targets := make([]string, 0, len(rs))
	for t := range rs {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		out = append(out, rs[t].latest)
	}
	return out
}
