package inject

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var quoteSeeds = [][]string{
	{"plain"},
	{""},
	{"it's"},
	{"a b", "c\td", "e\nf"},
	{"$(reboot)", "`id`", "${HOME}", "$HOME"},
	{"; rm -rf /", "&& true", "| cat", "> /etc/passwd", "<x"},
	{"*", "?", "[a]", "~root", "#comment", "!"},
	{"'", "''", `\`, `"`, `\'`},
	{"-n", "--", "--comment", "gameday:abc", "10.0.0.0/8", "a=b", "x%y@z+,"},
	{"ünïcødé", "\x01\x7f", " leading", "trailing "},
}

// TestQuoteRoundTripsThroughSh has real shells (/bin/sh, which is dash on
// Debian, and bash) parse the quoted line and print its argv back.
func TestQuoteRoundTripsThroughSh(t *testing.T) {
	for _, argv := range quoteSeeds {
		checkQuote(t, argv)
	}
}

// shells are the shells scripts sent to hosts must run under alike.
var shells = []string{"/bin/sh", "bash"}

// checkQuote fails unless every shell parses Quote(argv) back into argv,
// byte for byte, and Quote leaves nothing unquoted that a shell (or its
// locale) could act on.
func checkQuote(t *testing.T, argv []string) {
	t.Helper()
	line := Quote(argv...)
	if words, err := posixWords(line); err != nil || !slices.Equal(words, argv) {
		t.Fatalf("posixWords(Quote(%q)) = %q, %v", argv, words, err)
	}
	script := `printf '%s\0' ` + line
	for _, sh := range shells {
		out, err := exec.Command(sh, "-c", script).Output()
		if err != nil {
			t.Fatalf("%s -c %q: %v", sh, script, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !slices.Equal(got, argv) {
			t.Fatalf("%s parsed Quote(%q) = %q as %q", sh, argv, line, got)
		}
	}
}

// errUnquoted is an unquoted character the shell would act on.
var errUnquoted = errors.New("unquoted shell metacharacter")

// posixWords splits a command line the way a POSIX shell does for the
// subset Quote may produce: blanks separate words; single quotes quote
// everything up to the next one; a backslash outside quotes escapes the next
// character. Any unquoted character that would make the shell expand,
// redirect, glob or start another command is an error: Quote must never
// leave one.
func posixWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			cur.WriteByte(s[i+1])
			i++
			inWord = true
		case strings.IndexByte("$`\"|&;<>()*?[]#~!{}", c) >= 0 && (c != '#' || !inWord) && (c != '~' || !inWord):
			return nil, errUnquoted
		case c == '=' || c == '%' || c == '@' || c == '+' || c == ',' || c == ':' || c == '.' || c == '/' || c == '-' || c == '_' ||
			c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			cur.WriteByte(c)
			inWord = true
		default:
			// Anything else unquoted (control bytes, non-ASCII) is left to
			// the locale's mercy: Quote must quote it.
			return nil, errUnquoted
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// FuzzQuote checks every fuzzed argv against real shells (see
// checkQuote): arguments are joined by NUL, the one byte no argument can
// hold.
//
//	go test -run '^$' -fuzz '^FuzzQuote$' -fuzztime 30s ./inject
func FuzzQuote(f *testing.F) {
	for _, argv := range quoteSeeds {
		f.Add(strings.Join(argv, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		if len(joined) > 64<<10 {
			t.Skip("longer than one exec argument may be (MAX_ARG_STRLEN, 128 KiB once quoted)")
		}
		checkQuote(t, strings.Split(joined, "\x00"))
	})
}

func FuzzParseParams(f *testing.F) {
	for _, k := range Kinds() {
		for _, p := range k.Params {
			f.Add(k.Name, p.Name, p.Default)
			f.Add(k.Name, p.Name, "5x")
		}
	}
	f.Add("disk-fill", "free", "95%")
	f.Add("disk-fill", "free", "1e400GiB")
	f.Add("loss", "percent", "NaN")
	f.Add("partition", "peers", "a,,b\n")
	f.Fuzz(func(t *testing.T, kind, key, value string) {
		fault, err := ParseFault(kind, map[string]string{key: value})
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !utf8.ValidString(msg) && utf8.ValidString(kind+key+value) {
				t.Fatalf("error is not one clean line: %q", msg)
			}
			return
		}
		// A parsed fault plans without panicking on any host.
		h := planInventory().Hosts[0]
		fault.ShellPlan(PlanTarget{ID: "f0220000", Host: h, Inv: planInventory()})
		fault.LabPlan(PlanTarget{ID: "f0220000", Host: planInventory().Hosts[3], Inv: planInventory()})
	})
}
