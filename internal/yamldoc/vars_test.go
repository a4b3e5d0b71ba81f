package yamldoc

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type varSample struct {
	Vars  *Node         `yaml:"vars"`
	Name  string        `yaml:"name"`
	Port  int           `yaml:"port"`
	On    bool          `yaml:"on"`
	Wait  time.Duration `yaml:"wait"`
	Label string        `yaml:"label"`
	Tags  []string      `yaml:"tags"`
	Cond  string        `yaml:"cond"`
	Other []string      `yaml:"other"`
}

// expand parses in, expands it with given and decodes it.
func expand(t *testing.T, in string, given ...Var) (varSample, []Var, *Doc) {
	t.Helper()
	d := Parse("f.yaml", []byte(in), testFormat)
	if d.Root == nil {
		t.Fatalf("parse: %v", d.Err())
	}
	vars := d.Expand(given)
	var s varSample
	d.Decode(d.Root, &s, "")
	return s, vars, d
}

func flag(t *testing.T, s string) Var {
	t.Helper()
	v, err := VarFlag(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestExpand(t *testing.T) {
	s, vars, d := expand(t, `vars:
  host: redis-1
  port: 6379
  wait: 5s
  on: true
name: ${host}
port: ${port}
on: ${on}
wait: ${wait}
label: !!str "${port}"
tags: ["a-${host}-b", "$${host}", x]
cond: p99 < ${wait}
`)
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	want := varSample{Name: "redis-1", Port: 6379, On: true, Wait: 5 * time.Second, Label: "6379",
		Tags: []string{"a-redis-1-b", "${host}", "x"}, Cond: "p99 < 5s"}
	s.Vars = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("decoded\n got %+v\nwant %+v", s, want)
	}
	var names []string
	for _, v := range vars {
		names = append(names, v.Name+"="+v.Text()+" from "+v.From)
	}
	if got := strings.Join(names, "; "); got != "host=redis-1 from the default at line 2; port=6379 from the default at line 3; wait=5s from the default at line 4; on=true from the default at line 5" {
		t.Errorf("vars: %s", got)
	}
}

// TestExpandGiven: values given from outside win over the defaults, the
// later over the earlier, and keep their own type.
func TestExpandGiven(t *testing.T) {
	s, vars, d := expand(t, "vars: {host: redis-1, port: 1, label: }\nname: ${host}\nport: ${port}\nlabel: ${label}\n",
		flag(t, "host=redis-2"), flag(t, "host=redis-3"), flag(t, "port=7000"), flag(t, "label=3"))
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if s.Name != "redis-3" || s.Port != 7000 || s.Label != "3" {
		t.Errorf("decoded %+v", s)
	}
	if len(vars) != 3 || vars[0].From != "--var" {
		t.Errorf("vars %+v", vars)
	}
}

// TestExpandSplicesNeverParses: a value is text in its place, whatever it
// holds: no keys, items, references or shell are made of it.
func TestExpandSplicesNeverParses(t *testing.T) {
	for _, v := range []string{"x}\nother: [y]", "[a, b]", "{k: v}", "${other}", "a: b", "$(touch /tmp/x); ", "- item", "'q'", "&a *b"} {
		t.Run(v, func(t *testing.T) {
			s, _, d := expand(t, "vars: {v: x, other: o}\nname: ${v}\ntags: [\"${v}\"]\n", Var{Name: "v", Value: &Node{Kind: String, Text: v, size: 1}, From: "--var"})
			if err := d.Err(); err != nil {
				t.Fatal(err)
			}
			if s.Name != v || len(s.Tags) != 1 || s.Tags[0] != v || s.Other != nil {
				t.Errorf("decoded %+v, want name and one tag %q", s, v)
			}
		})
	}
}

func TestExpandShared(t *testing.T) {
	s, _, d := expand(t, "vars: {h: r1}\ntags: &t [\"${h}\", \"${h}\"]\nother: *t\n", flag(t, "h=${h}"))
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Tags, []string{"${h}", "${h}"}) || !reflect.DeepEqual(s.Other, s.Tags) {
		t.Errorf("tags %q other %q: a value must be substituted once, not expanded again", s.Tags, s.Other)
	}
}

func TestExpandProblems(t *testing.T) {
	cases := map[string]struct {
		in    string
		given []string
		want  string
	}{
		"unknown":            {"vars: {host: a}\nname: ${hots}\n", nil, `f.yaml:2:7: name: unknown variable ${hots}; did you mean ${host}? (this test file's variables: host)`},
		"unknown, no vars":   {"name: x-${host}\n", nil, `f.yaml:1:7: name: unknown variable ${host}: the test file declares no variables (a top-level vars: mapping); write $${host} for the text itself`},
		"unknown, far":       {"vars: {host: a}\ntags: [x, \"${zzz}\"]\n", nil, `f.yaml:2:11: tags[1]: unknown variable ${zzz}; write $${zzz} for the text itself (this test file's variables: host)`},
		"unclosed":           {"vars: {host: a}\nname: ${host\n", nil, `f.yaml:2:7: name: "${host" opens ${ without a closing }; write $${ for a literal ${`},
		"required":           {"vars:\n  host:\nname: ${host}\n", nil, `f.yaml:2:3: vars.host: no default and no value given; pass --var host=VALUE`},
		"not a mapping":      {"vars: [a]\nname: x\n", nil, `f.yaml:1:7: vars: want a mapping of variable names to default values, got a list`},
		"bad name":           {"vars: {a b: 1}\n", nil, `f.yaml:1:8: vars."a b": not a variable name (letters, digits, _ and -, starting with a letter or _)`},
		"list default":       {"vars: {a: [1]}\n", nil, `f.yaml:1:11: vars.a: a default is a single value (a string, number or boolean), got a list`},
		"default refers":     {"vars: {a: x, b: '${a}'}\n", nil, `f.yaml:1:17: vars.b: a default is a literal value; it cannot refer to another variable`},
		"undeclared flag":    {"vars: {host: a}\nname: ${host}\n", []string{"hots=b"}, `f.yaml: --var hots: the test file declares no variable "hots"; did you mean "host"? (its variables: host)`},
		"flag, no vars":      {"name: a\n", []string{"host=b"}, `f.yaml: --var host: the test file declares no variables (a top-level vars: mapping)`},
		"bad value, default": {"vars:\n  wait: 30\nwait: ${wait}\n", nil, `f.yaml:3:7: wait: duration 30 needs a unit, such as 30ms or 30s (value of ${wait} from the default at line 2)`},
		"bad value, flag":    {"vars: {wait: 1s}\nwait: ${wait}\n", []string{"wait=soon"}, `f.yaml:2:7: wait: want a duration such as 500ms or 2s, got string "soon" (value of ${wait} from --var)`},
		"bad value, tagged":  {"vars: {port: 1}\nport: !!str \"${port}\"\n", nil, `f.yaml:2:12: port: want a whole number, got string "1" (tagged !!str) (value of ${port} from the default at line 1)`},
		"two in one":         {"vars: {a: 1, b: 2}\nport: ${a}${b}\n", nil, `f.yaml:2:7: port: want a whole number, got string "12" (value of ${a} from the default at line 1, ${b} from the default at line 1)`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var given []Var
			for _, g := range tc.given {
				given = append(given, flag(t, g))
			}
			_, _, d := expand(t, tc.in, given...)
			err := d.Err()
			if err == nil {
				t.Fatalf("no problem, want %s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("problems\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestVarFlag(t *testing.T) {
	cases := map[string]struct {
		kind Kind
		text string
	}{
		"n=3":        {Int, "3"},
		"n=0x10":     {Int, "0x10"},
		"n=1.5":      {Float, "1.5"},
		"n=true":     {Bool, "true"},
		"n=":         {String, ""},
		"n=a: b":     {String, "a: b"},
		"n=[x]":      {String, "[x]"},
		"n=a=b":      {String, "a=b"},
		"n=500ms":    {String, "500ms"},
		"n='quoted'": {String, "'quoted'"},
	}
	for in, want := range cases {
		v, err := VarFlag(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if v.Name != "n" || v.Value.Kind != want.kind || v.Text() != want.text {
			t.Errorf("%s: got kind %d text %q", in, v.Value.Kind, v.Text())
		}
	}
	for in, want := range map[string]string{
		"host":     "--var host: want NAME=VALUE",
		"a b=1":    `--var a b=1: "a b" is not a variable name (letters, digits, _ and -, starting with a letter or _)`,
		"=1":       `--var =1: "" is not a variable name (letters, digits, _ and -, starting with a letter or _)`,
		"${x}=one": `--var ${x}=one: "${x}" is not a variable name (letters, digits, _ and -, starting with a letter or _)`,
	} {
		if _, err := VarFlag(in); err == nil || err.Error() != want {
			t.Errorf("VarFlag(%q) = %v, want %s", in, err, want)
		}
	}
}

func TestReadVars(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("# overrides\nhost: redis-2\nport: 7000\nlabel: \"3\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars, err := ReadVars(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 3 || vars[0].From != good+":2:7" || vars[1].Value.Kind != Int || vars[2].Value.Kind != String {
		t.Fatalf("vars %+v", vars)
	}
	// An undeclared variable from a file is reported where the file sets it.
	_, _, d := expand(t, "vars: {host: a, port: 1, lable: x}\nname: ${host}\n", vars...)
	if got, want := d.Err().Error(), good+`:4:8: label: the test file declares no variable "label"; did you mean "lable"? (its variables: host, port, lable)`; got != want {
		t.Errorf("undeclared\n got %s\nwant %s", got, want)
	}
	// A value from the file says which line set it.
	_, _, d = expand(t, "vars: {host: a, port: 1, label: x}\nwait: ${host}\n", vars...)
	if got, want := d.Err().Error(), `f.yaml:2:7: wait: want a duration such as 500ms or 2s, got string "redis-2" (value of ${host} from `+good+`:2:7)`; got != want {
		t.Errorf("origin\n got %s\nwant %s", got, want)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("host: [a]\nport:\n\"a b\": 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ReadVars(bad)
	want := bad + `:1:7: host: a variable holds a single value (a string, number or boolean), got a list` + "\n" +
		bad + `:2:1: port: no value; write "" for an empty string` + "\n" +
		bad + `:3:1: "a b": not a variable name (letters, digits, _ and -, starting with a letter or _)`
	if err == nil || err.Error() != want {
		t.Errorf("bad file\n got %v\nwant %s", err, want)
	}
	list := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(list, []byte("- a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadVars(list); err == nil || err.Error() != list+":1:1: the top level must be a mapping of variable names to values; got a list" {
		t.Errorf("list file: %v", err)
	}
	if _, err := ReadVars(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "read variables file: open ") {
		t.Errorf("missing file: %v", err)
	}
}
