package main

import (
	"strings"
	"testing"
)

func TestNewCmdRevert(t *testing.T) {
	tests := map[string]struct {
		args    []string
		want    RevertOptions
		wantErr string
	}{
		"one id":              {args: []string{"3f9a0c12"}, want: RevertOptions{ID: "3f9a0c12"}},
		"all, accepting keys": {args: []string{"--all", "--accept-new-host-keys", "--journal", "j.jsonl"}, want: RevertOptions{All: true, AcceptNew: true, Journal: "j.jsonl"}},
		"inventory":           {args: []string{"--all", "-i", "inv.yaml"}, want: RevertOptions{All: true, Inventory: "inv.yaml"}},
		"neither":             {args: nil, wantErr: "revert needs one fault ID, or --all"},
		"both":                {args: []string{"--all", "abc"}, wantErr: "give either a fault ID or --all, not both"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ios, _, _, _ := testStreams()
			var got *RevertOptions
			cmd := NewCmdRevert(ios, func(o *RevertOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tc.want {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}
