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

// TestQuoteRoundTripsThroughSh has a real sh parse the quoted line and
// print its argv back.
func TestQuoteRoundTripsThroughSh(t *testing.T) {
	for _, argv := range quoteSeeds {
		script := `printf '%s\0' ` + Quote(argv...)
		out, err := exec.Command("sh", "-c", script).Output()
		if err != nil {
			t.Fatalf("sh -c %q: %v", script, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !slices.Equal(got, argv) {
			t.Errorf("sh parsed Quote(%q) = %q as %q", argv, Quote(argv...), got)
		}
		if words, err := posixWords(Quote(argv...)); err != nil || !slices.Equal(words, argv) {
			t.Errorf("posixWords(Quote(%q)) = %q, %v", argv, words, err)
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

func FuzzQuote(f *testing.F) {
	for _, argv := range quoteSeeds {
		f.Add(strings.Join(argv, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		argv := strings.Split(joined, "\x00")
		words, err := posixWords(Quote(argv...))
		if err != nil {
			t.Fatalf("Quote(%q) = %q does not parse back: %v", argv, Quote(argv...), err)
		}
		if !slices.Equal(words, argv) {
			t.Fatalf("Quote(%q) = %q parses back as %q", argv, Quote(argv...), words)
		}
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
