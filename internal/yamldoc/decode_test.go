package yamldoc

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Name    string            `yaml:"name"`
	Port    int               `yaml:"port"`
	Ratio   float64           `yaml:"ratio"`
	On      bool              `yaml:"on"`
	Wait    time.Duration     `yaml:"wait"`
	Tags    []string          `yaml:"tags"`
	Params  map[string]string `yaml:"params"`
	Inner   *sample           `yaml:"inner"`
	Raw     *Node             `yaml:"raw"`
	Secret  string            `yaml:"secret" yamldoc:"secret"`
	Upper   string            `yaml:"upper" yamldoc:"upper"`
	Ignored string            `yaml:"-"`
}

var upper Hook = func(d *Doc, n *Node, v reflect.Value, path string) {
	v.SetString(strings.ToUpper(n.Text))
}

func decodeSample(t *testing.T, in string) (sample, *Doc) {
	t.Helper()
	d := Parse("f.yaml", []byte(in), testFormat)
	var s sample
	if d.Root != nil {
		d.Hooks = map[string]Hook{"upper": upper}
		d.Decode(d.Root, &s, "")
	}
	return s, d
}

func TestDecode(t *testing.T) {
	s, d := decodeSample(t, `x-shared: &shared {port: 22}
name: a
<<: *shared
ratio: 1.5
on: true
wait: 1m30s
tags: [a, b]
params: {k: 1, v: x}
inner: {name: b, wait: 0, tags: []}
raw: [1, {two: 2}]
secret: hunter2
upper: shout
`)
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	want := sample{Name: "a", Port: 22, Ratio: 1.5, On: true, Wait: 90 * time.Second, Tags: []string{"a", "b"},
		Params: map[string]string{"k": "1", "v": "x"}, Inner: &sample{Name: "b"}, Secret: "hunter2", Upper: "SHOUT"}
	raw := s.Raw
	s.Raw = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("decoded\n %+v\nwant\n %+v", s, want)
	}
	if raw == nil || raw.Kind != Sequence || len(raw.Items) != 2 || raw.Pos != (Pos{Line: 10, Col: 6}) {
		t.Errorf("raw node = %+v", raw)
	}
	if p := d.PosOf("inner.tags"); p != (Pos{Line: 9, Col: 33}) {
		t.Errorf("PosOf(inner.tags) = %v", p)
	}
	if p := d.PosOf("inner.nothing.below"); p != (Pos{Line: 9, Col: 9}) {
		t.Errorf("PosOf of a missing field = %v, want its nearest ancestor's", p)
	}
}

// TestDecodeProblems: every problem of the file, each once, in file order;
// a secret's value is never echoed.
func TestDecodeProblems(t *testing.T) {
	_, d := decodeSample(t, `name: [a]
port: 22.5
prot: 1
ratio: fast
on: yes
wait: 30
inner: {wait: -1s, tags: x, colour: red, port: !!str 22}
params: [a]
secret: [hunter2]
raw: x
`)
	want := `f.yaml:1:7: name: want a string, got a list
f.yaml:2:7: port: want a whole number, got number 22.5
f.yaml:3:1: prot: unknown field; did you mean "port"?
f.yaml:4:8: ratio: want a number, got string "fast"
f.yaml:5:5: on: want true or false, got string "yes"
f.yaml:6:7: wait: duration 30 needs a unit, such as 30ms or 30s
f.yaml:7:15: inner.wait: duration -1s is negative
f.yaml:7:26: inner.tags: want a list, got string "x"
f.yaml:7:29: inner.colour: unknown field; known fields here are name, port, ratio, on, wait, tags, params, inner, raw, secret, upper
f.yaml:7:53: inner.port: want a whole number, got string "22" (tagged !!str)
f.yaml:8:9: params: want a mapping, got a list
f.yaml:9:9: secret: want a string, got a list`
	if err := d.Err(); err == nil || err.Error() != want {
		t.Errorf("problems:\n%v\nwant:\n%s", err, want)
	}
	if !d.Suggested("port") || d.Suggested("ratio") {
		t.Error("the did-you-mean of an unknown key is not remembered")
	}
	d.Add("port", "missing")
	d.Add("inner.tags", "bad")
	d.Add("inner.wait.x", "bad")
	if n := len(d.Problems()); n != 12 {
		t.Errorf("Add reported again on a failed or suggested field: %d problems", n)
	}
}

func TestTopLevelNotAMapping(t *testing.T) {
	_, d := decodeSample(t, "- a\n")
	want := "f.yaml:1:1: the top level must be a mapping of name, port, ratio, on, wait, tags, params, inner, raw, secret, upper; got a list"
	if err := d.Err(); err == nil || err.Error() != want || !d.Failed("anything") {
		t.Errorf("problems: %v (Failed: %v)", err, d.Failed("anything"))
	}
}
