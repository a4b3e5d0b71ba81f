package lab

import "testing"

func TestFaketimeOffset(t *testing.T) {
	cases := map[string]struct {
		in, want string
		bad      bool
	}{
		"empty is none":        {in: "", want: "+0"},
		"plus zero":            {in: "+0", want: "+0"},
		"negative seconds":     {in: "-60s", want: "-60"},
		"positive minutes":     {in: "+2m30s", want: "150"},
		"fraction":             {in: "-1.5s", want: "-1.5"},
		"plain seconds":        {in: "-90", want: "-90"},
		"garbage":              {in: "yesterday", bad: true},
		"shell metacharacters": {in: "1; rm -rf /", bad: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := faketimeOffset(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("faketimeOffset(%q) = %q, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("faketimeOffset(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
