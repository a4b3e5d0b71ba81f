package targets

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gameday-dev/gameday/internal/yamldoc"
)

func TestSecretRefResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pass")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GAMEDAY_TEST_SECRET", "from-env")
	tests := map[string]struct {
		ref     SecretRef
		want    string
		wantErr string
	}{
		"empty":       {ref: "", want: ""},
		"env":         {ref: "env:GAMEDAY_TEST_SECRET", want: "from-env"},
		"file":        {ref: SecretRef("file:" + file), want: "from-file"},
		"unset env":   {ref: "env:GAMEDAY_TEST_UNSET_X", wantErr: "secret env:GAMEDAY_TEST_UNSET_X: environment variable GAMEDAY_TEST_UNSET_X is not set"},
		"no file":     {ref: SecretRef("file:" + filepath.Join(dir, "none")), wantErr: "no such file or directory"},
		"inline":      {ref: "hunter2", wantErr: "inline secrets are not allowed"},
		"bad env ref": {ref: "env:1X", wantErr: "env: reference needs a variable name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.ref.Resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve() error = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error echoes the secret: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSecretRefNeverShowsValue(t *testing.T) {
	tests := map[SecretRef]string{
		"":                  "",
		"env:REDIS_PASS":    "env:REDIS_PASS",
		"file:/etc/pw":      "file:/etc/pw",
		"hunter2":           "<hidden>",
		"ENV:hunter2":       "<hidden>",
		"env:not valid pwd": "<hidden>",
	}
	for ref, want := range tests {
		if got := ref.String(); got != want {
			t.Errorf("%q.String() = %q, want %q", string(ref), got, want)
		}
		b, err := json.Marshal(struct{ P SecretRef }{ref})
		if err != nil {
			t.Fatal(err)
		}
		if want == "<hidden>" && strings.Contains(string(b), string(ref)) {
			t.Errorf("JSON %s reveals %q", b, string(ref))
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"address", "name", "ssh", "tags", "roles", "lab", "contact_points"}
	tests := map[string]string{
		"adress":        "address",
		"addrses":       "address",
		"nmae":          "name",
		"tag":           "tags",
		"contactpoints": "contact_points",
		"Address":       "address",
		"zz":            "",
		"colour":        "",
		"x":             "",
	}
	for in, want := range tests {
		if got := yamldoc.Suggest(in, names); got != want {
			t.Errorf("yamldoc.Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
