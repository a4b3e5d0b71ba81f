package targets

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

// Bounds on what one probe may ask for: rows per PromQL query, and how
// often a command may be started on a host.
const (
	maxSeriesLimit = 100
	minCommandGap  = time.Second
)

var headerNameRe = regexp.MustCompile(`^[!#$%&'*+.^_|~0-9A-Za-z-]+$`)

func (v *validator) prometheus(path string, p Prometheus) {
	v.url(path+".url", p.URL, p.TLS, prometheusURL)
	v.secret(path+".bearer_token", p.BearerToken)
	v.basicAuth(path+".basic_auth", p.BasicAuth)
	if !p.BearerToken.IsZero() && p.BasicAuth != nil {
		v.problem(path+".basic_auth", "give bearer_token or basic_auth, not both")
	}
	v.tls(path+".tls", p.TLS)
	if len(p.Queries) == 0 {
		v.problem(path+".queries", "missing; give at least one query, e.g. [{name: errors, query: 'sum(rate(http_requests_total{code=~\"5..\"}[1m]))', thresholds: [\"value < 5\"]}]")
	}
	first := map[string]int{}
	for i, q := range p.Queries {
		qp := yamldoc.Index(path+".queries", i)
		v.name(qp, q.Name, "query")
		if j, dup := first[q.Name]; dup && q.Name != "" {
			v.problem(qp+".name", "%q already names queries[%d]; query names must be unique within their server", q.Name, j)
		} else {
			first[q.Name] = i
		}
		if strings.TrimSpace(q.Query) == "" {
			v.problem(qp+".query", "missing; give the PromQL expression to evaluate")
		}
		// p.Queries shares its array with the inventory.
		p.Queries[i].Pos = v.r.PosOf(qp + ".query")
		if q.MaxSeries < 0 || q.MaxSeries > maxSeriesLimit {
			v.problem(qp+".max_series", "%d rows; give 1 to %d (default 10)", q.MaxSeries, maxSeriesLimit)
		}
		if q.Interval < 0 || q.Timeout < 0 {
			v.problem(qp, "interval and timeout cannot be negative")
		}
		v.thresholds(qp+".thresholds", q.Thresholds, probeMetrics["prometheus"])
	}
}

func (v *validator) http(path string, h HTTP) {
	v.url(path+".url", h.URL, h.TLS, httpURL)
	if h.Method != "" && !slices.Contains(HTTPMethods, h.Method) {
		v.problem(path+".method", "%q: an http probe repeats its request many times a second, so it may only send %s", h.Method, strings.Join(HTTPMethods, ", "))
	}
	if h.Status != 0 && (h.Status < 100 || h.Status > 599) {
		v.problem(path+".status", "%d is not an HTTP status; want 100–599 (or leave it out for any 2xx)", h.Status)
	}
	if h.BodyMatch != "" {
		if _, err := regexp.Compile(h.BodyMatch); err != nil {
			v.problem(path+".body_match", "not a regular expression (RE2): %v", err)
		}
	}
	for _, name := range sortedHeaderNames(h.Headers) {
		hp := yamldoc.Join(path+".headers", name)
		val := h.Headers[name]
		switch {
		case !headerNameRe.MatchString(name):
			v.problem(hp, "%q is not an HTTP header name", name)
		case isSecretRef(val):
			v.secret(hp, SecretRef(val))
		case sensitiveHeader(name):
			v.problem(hp, "%v", errInlineSecret)
		case strings.ContainsAny(val, "\r\n"):
			v.problem(hp, "a header value cannot span lines")
		}
	}
	v.tls(path+".tls", h.TLS)
}

func sortedHeaderNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func (v *validator) command(path string, c Command) {
	switch {
	case len(c.Command) == 0:
		v.problem(path+".command", "missing; give the program and its arguments as a list, e.g. [redis-cli, -p, \"6379\", ping]")
	case strings.TrimSpace(c.Command[0]) == "":
		v.problem(yamldoc.Index(path+".command", 0), "empty program name")
	}
	for i, a := range c.Command {
		if strings.ContainsRune(a, 0) {
			v.problem(yamldoc.Index(path+".command", i), "an argument cannot hold a NUL byte")
		}
	}
	if c.Host != "" && !v.r.Failed("hosts") {
		h, ok := v.byName[c.Host]
		switch {
		case !ok:
			v.problem(path+".host", "no host named %q in hosts (a command probe runs on an inventory host, or here without host)%s", c.Host, yamldoc.DidYouMean(c.Host, v.inv.hostNames()))
		case h.Lab != nil:
			v.problem(path+".host", "%q is a lab node, which has no SSH; leave host out to run the command here", c.Host)
		}
	}
	if c.Value != "" {
		re, err := regexp.Compile(c.Value)
		switch {
		case err != nil:
			v.problem(path+".value", "not a regular expression (RE2): %v", err)
		case re.NumSubexp() > 1:
			v.problem(path+".value", "%d groups; the number is the first group or the whole match, so give at most one", re.NumSubexp())
		}
	}
	if run, ok := c.Probes["run"]; ok && run.Interval != 0 && run.Interval < minCommandGap {
		v.problem(path+".probes.run.interval", "%s; a command probe starts at most one command a second", run.Interval)
	}
}

// urlUse is what a URL field is for, as its problems say it: an example
// of one, and where its credentials go instead.
type urlUse struct{ example, creds string }

var (
	prometheusURL = urlUse{"https://prometheus.example:9090", "use basic_auth with a password reference (env:NAME or file:PATH)"}
	httpURL       = urlUse{"https://api.example:8443/health", "send them in headers, as a reference (env:NAME or file:PATH)"}
	toxiproxyAPI  = urlUse{"http://toxiproxy.staging:8474", "give token as a reference (env:NAME or file:PATH)"}
)

// url checks a service URL: absolute http or https, a host, no
// credentials (they would be inline secrets), TLS settings only for https.
func (v *validator) url(path, raw string, tls *TLS, use urlUse) {
	if strings.TrimSpace(raw) == "" {
		v.problem(path, "missing; give the URL, e.g. %s", use.example)
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		v.problem(path, "not a URL: %v", strings.TrimPrefix(err.Error(), "parse "))
	case u.Scheme != "http" && u.Scheme != "https":
		v.problem(path, "%q: want an http:// or https:// URL", raw)
	case u.Host == "" || u.Hostname() == "":
		v.problem(path, "%q has no host; want e.g. %s", raw, use.example)
	case u.User != nil:
		v.problem(path, "credentials in the URL are inline secrets; %s", use.creds)
	case u.Fragment != "":
		v.problem(path, "%q has a #fragment, which is never sent", raw)
	case tls != nil && u.Scheme == "http":
		v.problem(path, "%q is plain http but tls is set; use https:// (or drop tls)", raw)
	}
	if err == nil && u.Port() != "" {
		if err := checkHostPort(u.Host); err != nil {
			v.problem(path, "%v", err)
		}
	}
}

func (v *validator) basicAuth(path string, b *BasicAuth) {
	if b == nil {
		return
	}
	if strings.TrimSpace(b.Username) == "" {
		v.problem(path+".username", "missing; basic auth needs a username")
	}
	if b.Password.IsZero() {
		v.problem(path+".password", "missing; give a reference: env:NAME or file:PATH")
	}
	v.secret(path+".password", b.Password)
}

func (v *validator) tls(path string, t *TLS) {
	if t == nil {
		return
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		v.problem(path, "give both cert_file and key_file (a client certificate and its key), or neither")
	}
}
