package targets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// brokenCases maps each file in testdata/broken to the exact problems it
// must produce, in order.
var brokenCases = map[string][]string{
	"aliases": {
		`aliases.yaml:4:10: hosts[0].ssh: alias *undefined refers to no anchor defined before it`,
	},
	"alias_bomb": {
		`alias_bomb.yaml:8:12: aliases expand the file to more than 200000 values (the limit); alias *a5 here stands for more than that alone`,
	},
	"consistency": {
		`consistency.yaml:5:91: services.cassandra[0].consistency: unknown consistency level "QUOROM"; did you mean "QUORUM"? (want one of ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, EACH_QUORUM)`,
		`consistency.yaml:6:91: services.cassandra[1].consistency: LOCAL_QUORUM needs local_dc: the datacenter whose replicas answer`,
	},
	"deep": {
		`deep.yaml:2:71: the file nests deeper than 64 levels`,
	},
	"duplicate_key": {
		`duplicate_key.yaml:4:5: hosts[0].name: set twice (first at line 2)`,
	},
	"empty": {
		`empty.yaml:1:1: the file is empty; an inventory needs hosts or services`,
	},
	"jumps": {
		`jumps.yaml:4:17: hosts[0].ssh.jump: a host cannot be its own jump host`,
		`jumps.yaml:7:17: hosts[1].ssh.jump: jump hosts form a loop through c`,
		`jumps.yaml:10:17: hosts[2].ssh.jump: jump hosts form a loop through b`,
		`jumps.yaml:13:17: hosts[3].ssh.jump: "ops@bastion:ssh": port "ssh" is not a number`,
		`jumps.yaml:18:17: hosts[5].ssh.jump: no host named "bastoin" in hosts; did you mean "bastion"? (a machine outside the inventory is written user@host:port)`,
	},
	"lab_node": {
		`lab_node.yaml:3:12: lab.control: "localhost" has no port`,
		`lab_node.yaml:6:17: hosts[0].lab.kind: unknown lab node kind "rediss"; did you mean "redis"? (want one of redis, sentinel, kafka, cassandra, toxiproxy)`,
		`lab_node.yaml:6:30: hosts[0].lab.pid: -1 is not a process id`,
		`lab_node.yaml:6:42: hosts[0].lab.listen: "127.0.0.1" has no port`,
		`lab_node.yaml:8:11: hosts[1].lab.kind: missing; want one of redis, sentinel, kafka, cassandra, toxiproxy`,
	},
	"merge_self": {
		`merge_self.yaml:2:3: hosts[0].address: missing; a host needs an address (or a lab block)`,
		`merge_self.yaml:3:7: x-a.<<: alias *a refers to the value it is part of`,
	},
	"names": {
		`names.yaml:4:5: hosts[1].name: missing; every host needs a name`,
		`names.yaml:5:11: hosts[2].name: "a" already names hosts[0] (line 2); host names must be unique`,
		`names.yaml:7:11: hosts[3].name: "b c" contains a space, comma or colon; host names are plain words such as redis-1`,
		`names.yaml:9:5: hosts[4].address: missing; a host needs an address (or a lab block)`,
		`names.yaml:13:18: services.redis[0].hosts[1]: no host named "dd" in hosts; did you mean "d"?`,
		`names.yaml:13:22: services.redis[0].hosts[2]: no host named "zzz" in hosts`,
		`names.yaml:16:13: services.redis[1].name: "r" already names services.redis[0] (line 12); redis service names must be unique`,
	},
	"probed": {
		`probed.yaml:9:12: services.prometheus[0].url: "prom.example:9090": want an http:// or https:// URL`,
		`probed.yaml:10:21: services.prometheus[0].bearer_token: inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)`,
		`probed.yaml:11:20: services.prometheus[0].basic_auth: give bearer_token or basic_auth, not both`,
		`probed.yaml:11:49: services.prometheus[0].basic_auth.password: inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)`,
		`probed.yaml:15:24: services.prometheus[0].queries[0].thresholds[0]: threshold "p99 < 5ms": this probe measures value, not p99`,
		`probed.yaml:16:17: services.prometheus[0].queries[1].name: "errors" already names queries[0]; query names must be unique within their server`,
		`probed.yaml:17:18: services.prometheus[0].queries[1].query: missing; give the PromQL expression to evaluate`,
		`probed.yaml:18:23: services.prometheus[0].queries[1].max_series: 1000 rows; give 1 to 100 (default 10)`,
		`probed.yaml:20:12: services.prometheus[1].url: credentials in the URL are inline secrets; use basic_auth with a password reference (env:NAME or file:PATH)`,
		`probed.yaml:22:7: services.prometheus[2].queries: missing; give at least one query, e.g. [{name: errors, query: 'sum(rate(http_requests_total{code=~"5.."}[1m]))', thresholds: ["value < 5"]}]`,
		`probed.yaml:23:12: services.prometheus[2].url: "http://prom.example:9090" is plain http but tls is set; use https:// (or drop tls)`,
		`probed.yaml:24:13: services.prometheus[2].tls: give both cert_file and key_file (a client certificate and its key), or neither`,
		`probed.yaml:27:12: services.http[0].url: "api.example:99999": port 99999 is out of range 1–65535`,
		`probed.yaml:28:15: services.http[0].method: "POST": an http probe repeats its request many times a second, so it may only send GET, HEAD, OPTIONS`,
		`probed.yaml:29:15: services.http[0].status: 2000 is not an HTTP status; want 100–599 (or leave it out for any 2xx)`,
		"probed.yaml:30:19: services.http[0].body_match: not a regular expression (RE2): error parsing regexp: missing closing ): `ok(`",
		`probed.yaml:32:9: services.http[0].headers.Authorization: inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)`,
		`probed.yaml:35:9: services.http[0].headers."bad name": "bad name" is not an HTTP header name`,
		`probed.yaml:37:32: services.http[0].probes.latency.thresholds[0]: threshold "lag <= 5": this probe measures latency, success, errors, rate, not lag`,
		`probed.yaml:40:13: services.command[0].host: no host named "redis-2" in hosts (a command probe runs on an inventory host, or here without host); did you mean "redis-1"?`,
		`probed.yaml:42:14: services.command[0].value: 2 groups; the number is the first group or the whole match, so give at most one`,
		`probed.yaml:44:25: services.command[0].probes.run.interval: 200ms; a command probe starts at most one command a second`,
		`probed.yaml:44:45: services.command[0].probes.run.thresholds[0]: threshold "p99 < 5ms": this probe measures value, errors, success, not p99`,
		`probed.yaml:46:13: services.command[1].host: "lab-1" is a lab node, which has no SSH; leave host out to run the command here`,
		`probed.yaml:47:16: services.command[1].command: missing; give the program and its arguments as a list, e.g. [redis-cli, -p, "6379", ping]`,
	},
	"nothing": {
		`nothing.yaml:1:1: the inventory lists no hosts and no services`,
	},
	"ports": {
		`ports.yaml:4:17: hosts[0].ssh.port: 70000 is not a port; want 1–65535`,
		`ports.yaml:6:14: hosts[1].address: "10.0.0.2:22" includes a port; the address is a host name or IP, put the SSH port in ssh.port`,
		`ports.yaml:10:35: services.redis[0].sentinels[1]: "10.0.0.2" has no port; want host:port, e.g. redis-1:26379`,
		`ports.yaml:10:47: services.redis[0].sentinels[2]: "10.0.0.3:abc": port "abc" is not a number; want host:port, e.g. redis-1:26379`,
		`ports.yaml:10:63: services.redis[0].sentinels[3]: "10.0.0.4:0": port 0 is out of range 1–65535; want host:port, e.g. redis-1:26379`,
		`ports.yaml:14:33: services.kafka[0].brokers[1]: "::1:9092" is not host:port (an IPv6 address goes in brackets: [::1]:9092); want host:port, e.g. kafka-1:9092`,
	},
	"probes": {
		`probes.yaml:7:9: services.redis[0].probes.mastr: redis has no probe "mastr"; did you mean "master"? (its probes: latency, master, integrity)`,
		`probes.yaml:9:17: services.redis[0].probes.latency.rate: want a rate such as 10/s or 600/m, got string "fast"`,
		`probes.yaml:10:21: services.redis[0].probes.latency.interval: duration 2 needs a unit, such as 2ms or 2s`,
		`probes.yaml:11:20: services.redis[0].probes.latency.timeout: duration -1s is negative`,
		`probes.yaml:13:15: services.redis[0].probes.latency.thresholds[0]: threshold "p99 < 50": p99 is a latency; give a duration unit, e.g. p99 < 50ms`,
		`probes.yaml:14:15: services.redis[0].probes.latency.thresholds[1]: threshold "succes >= 99%": unknown metric "succes"; did you mean "success"? (known: p50, p90, p99, max, success, errors, lag, lost, agree, sentinels, rate, value, master)`,
		`probes.yaml:15:15: services.redis[0].probes.latency.thresholds[2]: threshold "master: flapping": the only "name: value" form is "master: stable"`,
		`probes.yaml:16:15: services.redis[0].probes.latency.thresholds[3]: threshold "success >= 120%": 120% is not between 0% and 100%`,
		`probes.yaml:17:15: services.redis[0].probes.latency.thresholds[4]: threshold "lag <= 10ms": lag is a plain count and takes no unit (got "ms")`,
		`probes.yaml:18:15: services.redis[0].probes.latency.thresholds[5]: threshold "p99 50ms": want a comparison (<, <=, >, >=, ==, !=) after p99`,
		`probes.yaml:20:17: services.redis[0].probes.master.rate: this probe asks every interval and sends at no rate: give interval, not rate`,
		`probes.yaml:21:24: services.redis[0].probes.master.thresholds[0]: threshold "p99 < 5ms": this probe measures master, agree, sentinels, not p99`,
		`probes.yaml:23:21: services.redis[0].probes.integrity.interval: this probe sends at a constant rate and polls at no interval: give rate, not interval`,
		`probes.yaml:24:37: services.redis[0].probes.integrity.thresholds[1]: threshold "lag < 3": this probe measures lost, latency, success, errors, rate, not lag`,
		`probes.yaml:30:9: services.cassandra[0].probes.latency: cassandra has no probe "latency" (its probes: quorum, integrity)`,
		`probes.yaml:32:24: services.cassandra[0].probes.quorum.thresholds[0]: threshold "p99.9 < 5ms": gameday measures the latency percentiles p50, p90, p99 and max, not p99.9`,
		`probes.yaml:32:39: services.cassandra[0].probes.quorum.thresholds[1]: threshold "mean < 2ms": gameday measures the latency percentiles p50, p90, p99 and max, not mean`,
	},
	"secrets": {
		`secrets.yaml:6:17: services.redis[0].password: inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)`,
		`secrets.yaml:7:26: services.redis[0].sentinel_password: env: reference needs a variable name of letters, digits and _ (not starting with a digit)`,
		`secrets.yaml:9:7: services.cassandra[0].username: missing; a password needs a username`,
	},
	"services_required": {
		`services_required.yaml:3:7: services.redis[0].master: missing; give the Sentinel master name, e.g. mymaster`,
		`services_required.yaml:3:7: services.redis[0].sentinels: missing; give at least one sentinel, e.g. [redis-1:26379]`,
		`services_required.yaml:6:16: services.kafka[0].brokers: missing; give at least one broker, e.g. [kafka-1:9092]`,
		`services_required.yaml:8:7: services.cassandra[0].contact_points: missing; give at least one contact point, e.g. [cassandra-1:9042]`,
		`services_required.yaml:9:17: services.cassandra[0].keyspace: "1bad" is not a CQL identifier (a letter, then letters, digits or _, at most 48)`,
		`services_required.yaml:10:14: services.cassandra[0].table: "my-table" is not a CQL identifier (a letter, then letters, digits or _, at most 48)`,
	},
	"str_tag": {
		`str_tag.yaml:5:22: hosts[0].ssh.port: want a whole number, got string "22" (tagged !!str)`,
	},
	"syntax": {
		`syntax.yaml:3:14: invalid YAML: sequence end token ']' not found`,
	},
	"top_level_list": {
		`top_level_list.yaml:1:1: the top level must be a mapping of name, ssh, hosts, services, lab, toxiproxy; got a list`,
	},
	"two_documents": {
		`two_documents.yaml:4:1: the file holds 2 YAML documents; an inventory is exactly one`,
	},
	"unknown_field": {
		`unknown_field.yaml:2:1: hots: unknown field; did you mean "hosts"?`,
	},
	"unknown_nested_field": {
		`unknown_nested_field.yaml:3:5: hosts[0].adress: unknown field; did you mean "address"?`,
		`unknown_nested_field.yaml:5:7: hosts[0].ssh.prot: unknown field; did you mean "port"?`,
		`unknown_nested_field.yaml:6:7: hosts[0].ssh.colour: unknown field; known fields here are user, port, identity_file, known_hosts, jump`,
	},
	"toxiproxy": {
		`toxiproxy.yaml:3:10: toxiproxy[0].api: "ftp://toxiproxy.staging:8474": want an http:// or https:// URL`,
		`toxiproxy.yaml:4:12: toxiproxy[0].token: inline secrets are not allowed; write a reference instead: env:NAME (an environment variable) or file:PATH (a file holding only the secret)`,
		`toxiproxy.yaml:6:10: toxiproxy[1].api: "http://toxiproxy.prod:8474?x=1" has a query; give scheme, host, port and at most a path prefix`,
		`toxiproxy.yaml:7:11: toxiproxy[2].name: "staging" already names toxiproxy[0] (line 2); toxiproxy server names must be unique`,
		`toxiproxy.yaml:10:10: toxiproxy[3].api: credentials in the URL are inline secrets; give token as a reference (env:NAME or file:PATH)`,
		`toxiproxy.yaml:12:10: toxiproxy[4].api: "http://:8474" has no host; want e.g. http://toxiproxy.staging:8474`,
		`toxiproxy.yaml:15:25: hosts[0].toxiproxy.server: no toxiproxy server named "stagin" in toxiproxy; did you mean "staging"?`,
		`toxiproxy.yaml:17:17: hosts[1].toxiproxy.proxy: missing; name the proxy in front of this host's service, as the server lists it (GET /proxies)`,
		`toxiproxy.yaml:19:17: hosts[2].toxiproxy.server: missing; name one of the inventory's toxiproxy servers (staging, prod, edge, bare)`,
		`toxiproxy.yaml:21:38: hosts[3].toxiproxy.proxy: "redis/4" cannot be a path segment of Toxiproxy's API (it holds /, ?, %, a space or the like); name the proxy as the server lists it`,
	},
	"wrong_types": {
		`wrong_types.yaml:4:17: hosts[0].ssh.port: want a whole number, got string "twenty-two"`,
		`wrong_types.yaml:5:11: hosts[0].tags: want a list, got string "redis"`,
		`wrong_types.yaml:11:21: services.cassandra[0].create_table: want true or false, got string "yes"`,
	},
}

func TestLoadBroken(t *testing.T) {
	files, err := filepath.Glob("testdata/broken/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := brokenCases[strings.TrimSuffix(filepath.Base(f), ".yaml")]; !ok {
			t.Errorf("fixture %s has no case in brokenCases", f)
		}
	}
	for name, want := range brokenCases {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "broken", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			inv, err := Parse(name+".yaml", data)
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want %d problems", inv, len(want))
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			if len(ps) != len(want) {
				t.Errorf("got %d problems, want %d", len(ps), len(want))
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

// TestInlineSecretNeverEchoed guards the rule that no secret reaches a
// message: the inline password is in the file, never in the error.
func TestInlineSecretNeverEchoed(t *testing.T) {
	for _, f := range []string{"testdata/broken/secrets.yaml", "testdata/broken/probed.yaml", "testdata/broken/toxiproxy.yaml"} {
		_, err := Load(f)
		if err == nil {
			t.Fatalf("%s: want an error", f)
		}
		for _, secret := range []string{"hunter2", "s3cret", "abc123", "Bearer abc"} {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("%s: error echoes the inline secret %q: %v", f, secret, err)
			}
		}
	}
}
