package keys

import (
	"fmt"
	"strings"
)

// Markdown renders the key map as the markdown table docs/tui.md shows, so
// the docs are generated from the same bindings as the help overlay.
func (k *KeyMap) Markdown() string {
	var b strings.Builder
	b.WriteString("| where | key | does |\n|---|---|---|\n")
	for _, s := range k.Sections() {
		for _, bd := range s.Bindings {
			mark := ""
			if k.Dangerous(bd) {
				mark = " **(dangerous: confirmed; hidden with --read-only)**"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s%s |\n", s.Title, bd.Help().Key, Describe(bd), mark)
		}
	}
	return b.String()
}
